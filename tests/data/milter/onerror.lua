-- onerror.lua - a routed message that cannot be bound (no Message-ID,
-- no queue id) answers per milter_on_error. -D SOCK=... -D WANT=
-- tempfail|accept; forged headers are removed in both cases of accept.

dofile(LIB)
conn = client("198.51.100.7")
mail_from(conn, "user@example.org")
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
