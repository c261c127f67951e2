-- onerror.lua - a routed message that cannot be bound (no Message-ID,
-- no queue id) answers per milter_on_error. -D SOCK=... -D WANT=
-- tempfail|accept; forged headers are removed in both cases of accept.

conn = mt.connect(SOCK, 50, 0.1)
if conn == nil then
	error("cannot connect to " .. SOCK)
end
if mt.conninfo(conn, "client.example", "198.51.100.7") ~= nil then
	error("mt.conninfo() failed")
end
if mt.mailfrom(conn, "<user@example.org>") ~= nil then
	error("mt.mailfrom() failed")
end
mt.rcptto(conn, "<a@forced.test>")
mt.header(conn, "X-Slimrelay-Route", "forged")
if mt.eom(conn) ~= nil then
	error("mt.eom() failed")
end
if WANT == "tempfail" then
	-- smfi_setreply(451 4.3.0) makes the answer a reply code.
	if mt.getreply(conn) ~= SMFIR_REPLYCODE then
		error("want a temporary failure (451 4.3.0)")
	end
else
	if mt.getreply(conn) ~= SMFIR_ACCEPT then
		error("want accept")
	end
	if not mt.eom_check(conn, MT_HDRDELETE, "X-Slimrelay-Route") then
		error("forged routing header kept")
	end
end
if mt.eom_check(conn, MT_HDRINSERT) then
	error("routing header added without a binding")
end
mt.echo("ONERROR " .. WANT .. " ok")
mt.disconnect(conn)
