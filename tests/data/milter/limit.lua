-- limit.lua - more routed domains than one message may carry: the
-- recipient over the limit gets a temporary failure (452 4.5.3) and
-- the message still carries the headers of the others. -D SOCK=...

conn = mt.connect(SOCK, 50, 0.1)
if conn == nil then
	error("cannot connect to " .. SOCK)
end
if mt.conninfo(conn, "client.example", "198.51.100.7") ~= nil then
	error("mt.conninfo() failed")
end
mt.macro(conn, SMFIC_MAIL, "i", "4QIDL")
if mt.mailfrom(conn, "<user@example.org>") ~= nil then
	error("mt.mailfrom() failed")
end
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
