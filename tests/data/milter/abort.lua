-- abort.lua - per-message state is reset by abort and by a new MAIL
-- FROM on the same connection; without a Message-ID the header binds
-- to the queue id. -D SOCK=...; prints "HDR <value>" and "MSG n".

dofile(LIB)
conn = client("198.51.100.7")

-- Message 1: a forced recipient and a forged header, then aborted.
mt.macro(conn, SMFIC_MAIL, "i", "4QIDA")
mail_from(conn, "user@example.org", "1")
mt.rcptto(conn, "<a@forced.test>")
mt.header(conn, "X-Slimrelay-Route", "forged")
if mt.abort(conn) ~= nil then
	error("mt.abort() failed")
end

-- Message 2: MAIL FROM after RCPT of a forced domain, without abort:
-- the new MAIL FROM starts over.
mt.macro(conn, SMFIC_MAIL, "i", "4QIDB")
mail_from(conn, "user@example.org", "2")
mt.rcptto(conn, "<b@forced.test>")
mt.macro(conn, SMFIC_MAIL, "i", "4QIDC")
mail_from(conn, "user@example.org", "3")
mt.rcptto(conn, "<c@other.test>")
mt.header(conn, "Subject", "no routing")
if mt.eom(conn) ~= nil then
	error("mt.eom() 2 failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("message 2 not accepted")
end
if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRDELETE) then
	error("message 2 carries state of an earlier message")
end
mt.echo("MSG 2 clean")

-- Message 3: forced, no Message-ID: bound to the queue id.
mt.macro(conn, SMFIC_MAIL, "i", "4QIDD")
mail_from(conn, "user@example.org", "4")
mt.rcptto(conn, "<d@forced.test>")
if mt.eom(conn) ~= nil then
	error("mt.eom() 3 failed")
end
v = mt.getheader(conn, "X-Slimrelay-Route", 0)
if v == nil or mt.getheader(conn, "X-Slimrelay-Route", 1) ~= nil then
	error("message 3: want exactly one routing header")
end
mt.echo("HDR " .. v)
mt.disconnect(conn)
