-- forced.lua - routing headers for forced domains only; forged ones
-- (any case, several copies) removed. Run by tests/integration/milter.sh
-- with -D SOCK=unix:/path; prints "HDR <value>" lines for the shell to
-- check the signatures with openssl.

dofile(LIB)
conn = client("198.51.100.7")
mt.macro(conn, SMFIC_MAIL, "i", "4QID1")
mail_from(conn, "user@example.org")
-- Two recipients of one forced domain (any case): one header.
for _, r in ipairs({ "<a@forced.test>", "<b@FORCED.Test>",
    "<c@x.sub.test>", "<d@other.test>", "<e@local.test>",
    "<f@net.test>", "<g@auth.test>", "<postmaster>",
    "<h@[192.0.2.1]>" }) do
	if mt.rcptto(conn, r) ~= nil then
		error("mt.rcptto(" .. r .. ") failed")
	end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		error("recipient " .. r .. " not accepted")
	end
end
mt.header(conn, "From", "user@example.org")
mt.header(conn, "X-Slimrelay-Route", "v=1; d=other.test; r=[evil]:25")
mt.header(conn, "Message-ID", "<m1@example.org>")
mt.header(conn, "x-SLIMRELAY-route", "forged 2")
mt.header(conn, "X-SLIMRELAY-ROUTE", "forged 3")
mt.header(conn, "Subject", "test")
if mt.eom(conn) ~= nil then
	error("mt.eom() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE and
    mt.getreply(conn) ~= SMFIR_ACCEPT then
	error("message not accepted")
end
if not mt.eom_check(conn, MT_HDRDELETE, "X-Slimrelay-Route") then
	error("forged routing headers not deleted")
end
if not mt.eom_check(conn, MT_HDRINSERT, "X-Slimrelay-Route") then
	error("no routing header added")
end
n = 0
for i = 0, 10 do
	v = mt.getheader(conn, "X-Slimrelay-Route", i)
	if v == nil then
		break
	end
	mt.echo("HDR " .. v)
	n = n + 1
end
mt.echo("COUNT " .. n)
mt.disconnect(conn)
