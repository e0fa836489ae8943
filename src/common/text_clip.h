/*-------------------------------------------------------------------------
 *
 * text_clip.h
 *	  Text that cronext stores, reports or logs, kept valid in the database
 *	  encoding: cut only between characters, invalid bytes replaced.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_TEXT_CLIP_H
#define CRONEXT_TEXT_CLIP_H

extern int	cron_text_make_valid(char *text, int len, bool cut);
extern void cron_text_copy(char *dst, const char *src, Size dst_size);

#endif							/* CRONEXT_TEXT_CLIP_H */
