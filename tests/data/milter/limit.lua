-- limit.lua - more routed domains than one message may carry: the
-- recipient over the limit gets a temporary failure (452 4.5.3) and
-- the message still carries the headers of the others. -D SOCK=...

dofile(LIB)
conn = client("198.51.100.7")
mt.macro(conn, SMFIC_MAIL, "i", "4QIDL")
mail_from(conn, "user@example.org")
for i = 1, 101 do
	if mt.rcptto(conn, "<u@d" .. i .. ".sub.test>") ~= nil then
		error("mt.rcptto() " .. i .. " failed")
	end
	if i <= 100 and mt.getreply(conn) ~= SMFIR_CONTINUE then
		error("recipient " .. i .. " refused")
	end
end
if mt.getreply(conn) ~= SMFIR_REPLYCODE then
	error("recipient 101 not refused")
end
-- A recipient of a domain already routed is still fine.
mt.rcptto(conn, "<v@d1.sub.test>")
if mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("a second recipient of a routed domain refused")
end
mt.header(conn, "Message-ID", "<limit@example.org>")
if mt.eom(conn) ~= nil then
	error("mt.eom() failed")
end
n = 0
while mt.getheader(conn, "X-Slimrelay-Route", n) ~= nil do
	n = n + 1
end
mt.echo("COUNT " .. n)
mt.disconnect(conn)
