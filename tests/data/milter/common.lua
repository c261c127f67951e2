-- common.lua - what every script does first. The scripts load it with
-- dofile(LIB); tests/integration/milter.sh passes -D LIB=<this file>.

-- client(addr) - a connection to the milter at SOCK, from a client at
-- addr (client.example)
function client(addr)
	local conn = mt.connect(SOCK, 50, 0.1)
	if conn == nil then
		error("cannot connect to " .. SOCK)
	end
	if mt.conninfo(conn, "client.example", addr) ~= nil then
		error("mt.conninfo() failed")
	end
	return conn
end

-- mail_from(conn, sender, what) - MAIL FROM:<sender>; what names the
-- step in the error message
function mail_from(conn, sender, what)
	if mt.mailfrom(conn, "<" .. sender .. ">") ~= nil then
		error("mt.mailfrom() " .. (what and what .. " " or "") ..
		    "failed")
	end
end
