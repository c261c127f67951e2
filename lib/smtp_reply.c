/*
 * NAME
 *	smtp_reply - assemble and sanitise SMTP replies
 * SYNOPSIS
 *	#include "smtp_reply.h"
 *
 *	void smtp_reply_init(struct smtp_reply *r);
 *	enum smtp_reply_add smtp_reply_add_line(struct smtp_reply *r,
 *	    const char *line, size_t len);
 *	const char *smtp_reply_next_line(const struct smtp_reply *r,
 *	    const char *prev);
 * DESCRIPTION
 *	A reply is one or more lines "NNN-text" ending with one line
 *	"NNN text" or "NNN" alone (RFC 5321 4.2). smtp_reply_init() empties
 *	a reply; smtp_reply_add_line() adds one line, given without its
 *	CRLF, and says whether more lines must follow (SMTP_REPLY_MORE),
 *	the reply is complete (SMTP_REPLY_DONE), or the line cannot be part
 *	of a reply (SMTP_REPLY_BAD). A line is bad when it does not start
 *	with three digits (the first not 0) followed by ' ', '-' or the end
 *	of the line, when its code differs from the reply's earlier lines,
 *	when it is longer than SMTP_REPLY_LINE_MAX - 2 bytes, when the
 *	reply would have more than SMTP_REPLY_LINES_MAX lines, or when the
 *	reply was already complete. After SMTP_REPLY_BAD the reply must be
 *	thrown away (the caller treats the session as broken).
 *
 *	code is set once the reply is complete. text holds the code and
 *	the text of every line joined by single spaces, the way a person
 *	reads it: "550 5.1.1 <bob@example.com> unknown user" for a one-line
 *	reply, and for "550-5.1.1 first" + "550 5.1.1 second" the text
 *	"550 5.1.1 first second": an enhanced code that repeats the first
 *	line's is removed from continuation lines. text is truncated at
 *	SMTP_REPLY_TEXT_MAX - 1 bytes.
 *
 *	lines holds each line's text after "NNN-" or "NNN " (the first line
 *	included), NUL-separated, lines_len bytes in all, for EHLO keyword
 *	parsing; a line that does not fit whole is left out, never cut.
 *	smtp_reply_next_line() walks them: prev NULL gives the first, NULL
 *	is returned after the last. The pointers stay valid until the
 *	reply is changed.
 *
 *	Control characters (and DEL) in the text become spaces; other
 *	bytes, UTF-8 included, are kept.
 *
 *	The enhanced status code (RFC 3463) is taken from the start of the
 *	first line's text: class.subject.detail with one class digit and
 *	one to three digits each for subject and detail, followed by a
 *	space or the end of the line. Sanitising like Postfix's smtp_chat:
 *	has_status tells whether the server sent one; status is the
 *	server's code when its class matches the reply code's first digit,
 *	else "D.0.0" where D is that digit; a reply without an enhanced
 *	code also gets "D.0.0"; a reply code whose first digit is not 2, 3,
 *	4 or 5 keeps its code but gets status "4.5.0" (a protocol error of
 *	the server, which must defer the mail, never bounce it).
 * SEE ALSO
 *	RFC 5321 4.2 (replies), RFC 3463 (enhanced status codes),
 *	RFC 2034 (ENHANCEDSTATUSCODES), Postfix smtp_chat.c.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "smtp_reply.h"

static size_t	enhanced_len(const char *, size_t);
static void	append_text(struct smtp_reply *, const char *, size_t);
static void	append_line(struct smtp_reply *, const char *, size_t);
static void	set_status(struct smtp_reply *, const char *, size_t);

/* smtp_reply_init - an empty reply, ready for its first line */
void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/*
 * enhanced_len - length of an RFC 3463 code at the start of text, or 0.
 * The code must be followed by a space or the end of the text.
 */
static size_t
enhanced_len(const char *text, size_t len)
{
	size_t i = 0, n;
	int part;

	if (len < 5 || text[0] < '0' || text[0] > '9' || text[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && text[i] >= '0' && text[i] <= '9'; i++)
			n++;
		if (n < 1 || n > 3)
			return 0;
		if (part == 0) {
			if (i >= len || text[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && text[i] != ' ')
		return 0;
	return i;
}

/*
 * append_text - add bytes to the joined text, control characters made
 * spaces; stops silently at the buffer's end (the text is for people).
 */
static void
append_text(struct smtp_reply *r, const char *s, size_t len)
{
	size_t have = strlen(r->text), i;
	unsigned char c;

	for (i = 0; i < len && have < sizeof(r->text) - 1; i++) {
		c = (unsigned char)s[i];
		r->text[have++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	r->text[have] = '\0';
}

/* append_line - keep one line's text whole in lines[], or not at all */
static void
append_line(struct smtp_reply *r, const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	if (len + 1 > sizeof(r->lines) - r->lines_len)
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		r->lines[r->lines_len++] =
		    (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	r->lines[r->lines_len++] = '\0';
}

/* set_status - sanitised status from the first line's text */
static void
set_status(struct smtp_reply *r, const char *text, size_t len)
{
	size_t n = enhanced_len(text, len);
	char digit = r->text[0];

	if (digit < '2' || digit > '5') {
		/*
		 * 1xx and 6xx-9xx are no SMTP replies: a broken server,
		 * not a verdict on the message, so transient.
		 */
		r->has_status = n > 0;
		memcpy(r->status, "4.5.0", sizeof("4.5.0"));
		return;
	}
	r->has_status = n > 0;
	if (n > 0 && text[0] == digit) {
		/* n <= 9 by construction, and status holds 10. */
		memcpy(r->status, text, n);
		r->status[n] = '\0';
	} else {
		r->status[0] = digit;
		memcpy(r->status + 1, ".0.0", sizeof(".0.0"));
	}
}

/* smtp_reply_add_line - add one line (without CRLF) to a reply */
enum smtp_reply_add
smtp_reply_add_line(struct smtp_reply *r, const char *line, size_t len)
{
	const char *text;
	size_t text_len, n;
	int code;
	bool is_last;

	if (r->is_complete || r->nlines >= SMTP_REPLY_LINES_MAX ||
	    len > SMTP_REPLY_LINE_MAX - 2 || len < 3)
		return SMTP_REPLY_BAD;
	if (line[0] < '1' || line[0] > '9' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9')
		return SMTP_REPLY_BAD;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return SMTP_REPLY_BAD;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && memcmp(r->text, line, 3) != 0)
		return SMTP_REPLY_BAD;
	is_last = len == 3 || line[3] == ' ';
	text = len > 4 ? line + 4 : line + len;
	text_len = len > 4 ? len - 4 : 0;

	if (r->nlines == 0) {
		append_text(r, line, 3);
		set_status(r, text, text_len);
	} else if ((n = enhanced_len(text, text_len)) > 0 &&
	    r->has_status && enhanced_len(r->lines, strlen(r->lines)) == n &&
	    memcmp(text, r->lines, n) == 0) {
		/* A continuation line repeating the first line's code. */
		text += n;
		text_len -= n;
		while (text_len > 0 && *text == ' ') {
			text++;
			text_len--;
		}
	}
	if (text_len > 0) {
		append_text(r, " ", 1);
		append_text(r, text, text_len);
	}
	append_line(r, len > 4 ? line + 4 : line + len, len > 4 ? len - 4 : 0);
	r->nlines++;
	if (!is_last)
		return SMTP_REPLY_MORE;
	r->code = code;
	r->is_complete = true;
	return SMTP_REPLY_DONE;
}

/* smtp_reply_next_line - the line text after prev (NULL: the first) */
const char *
smtp_reply_next_line(const struct smtp_reply *r, const char *prev)
{
	const char *p;

	if (prev == NULL)
		return r->lines_len > 0 ? r->lines : NULL;
	if (prev < r->lines || prev >= r->lines + r->lines_len)
		return NULL;
	p = prev + strlen(prev) + 1;
	return p < r->lines + r->lines_len ? p : NULL;
}
