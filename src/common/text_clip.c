/*-------------------------------------------------------------------------
 *
 * text_clip.c
 *	  Text that cronext stores, reports or logs, kept valid in the database
 *	  encoding: cut only between characters, invalid bytes replaced.
 *
 * A return_message or response_body that is not valid in the database
 * encoding is stored without complaint, but then breaks every reader that
 * checks it: length(), COPY, and so pg_dump and its restore.  Two things
 * produce such text: a cut through a multibyte character (strlcpy of a long
 * message into a fixed buffer), and bytes that were never text of this
 * encoding (a response body, a message of a database with another
 * encoding).  Everything cronext keeps in a fixed buffer or records from
 * another process goes through here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "text_clip.h"

/*
 * Make text[0 .. len) valid in the database encoding, in place, and
 * NUL-terminate it at the length returned; text must have room for len + 1
 * bytes.  Each byte that does not start a valid character (a NUL, binary
 * data, text of another encoding) becomes '?'.  If cut is true, the caller
 * cut the text at len, so an incomplete character at its very end is the
 * one the cut went through: it is dropped, so that the cut falls on a
 * character boundary, rather than shown as '?'.
 */
int
cron_text_make_valid(char *text, int len, bool cut)
{
	int			encoding = GetDatabaseEncoding();
	int			i = 0;

	text[len] = '\0';
	while (i < len)
	{
		i += pg_encoding_verifymbstr(encoding, text + i, len - i);
		if (i >= len)
			break;
		if (cut && pg_encoding_mblen(encoding, text + i) > len - i)
		{
			len = i;
			text[len] = '\0';
			break;
		}
		text[i++] = '?';
	}
	return len;
}

/*
 * Copy src into dst, a buffer of dst_size bytes, as valid text, cut on a
 * character boundary if it does not fit, and NUL-terminated: strlcpy would
 * cut through a character, and copy invalid bytes as they are.
 */
void
cron_text_copy(char *dst, const char *src, Size dst_size)
{
	Size		len;

	Assert(dst_size > 0);
	len = strnlen(src, dst_size);
	if (len >= dst_size)
	{
		memcpy(dst, src, dst_size - 1);
		(void) cron_text_make_valid(dst, (int) (dst_size - 1), true);
	}
	else
	{
		memcpy(dst, src, len);
		(void) cron_text_make_valid(dst, (int) len, false);
	}
}
