-- conditions.lua - route conditions (client=, sasl=, sender=) decide
-- whether a routing header is written. -D SOCK=... -D CLIENT=ip
-- -D AUTH=login|"" -D SENDER=address; prints "HDR <domain>" per header.

dofile(LIB)
conn = client(CLIENT)
if AUTH ~= nil and AUTH ~= "" then
	mt.macro(conn, SMFIC_MAIL, "i", "4QID2", "{auth_authen}", AUTH)
else
	mt.macro(conn, SMFIC_MAIL, "i", "4QID2")
end
mail_from(conn, SENDER)
for _, r in ipairs({ "<a@net.test>", "<b@auth.test>", "<c@sender.test>",
    "<d@v6.test>", "<e@anyauth.test>" }) do
	if mt.rcptto(conn, r) ~= nil then
		error("mt.rcptto(" .. r .. ") failed")
	end
end
mt.header(conn, "Message-ID", "<m2@example.org>")
if mt.eom(conn) ~= nil then
	error("mt.eom() failed")
end
if mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("message not accepted")
end
for i = 0, 10 do
	v = mt.getheader(conn, "X-Slimrelay-Route", i)
	if v == nil then
		break
	end
	mt.echo("HDR " .. string.match(v, "d=([^;]*);"))
end
mt.disconnect(conn)
