/*
** progress.h: the progress of a --ct backtest, on stderr.
**
** A thread of its own reads the per-log figures the CT source publishes
** (stats.h: stats_ct_logs) and shows entries done of total, rate, ETA and
** each log's share. On a terminal one line is redrawn in place about
** twice a second (cut to the terminal's width) and replaced by a plain
** line at the end; otherwise a plain "progress:" log line for all logs and
** one per log every interval_s. "Done" is the log's position: entries
** whose rules have run.
*/
#ifndef CERTMON_PROGRESS_H
#define CERTMON_PROGRESS_H

struct progress;

/* Starts showing progress every interval_s (plain lines; a terminal is
** redrawn more often); 0 = no progress at all (returns NULL). tty forces
** terminal mode (1), plain lines (0) or asks isatty(2) (-1). NULL on
** failure too: progress is never fatal. */
struct progress *progress_start(unsigned interval_s, int tty);

/* Prints the final line, stops the thread, frees p; NULL is fine. */
void progress_stop(struct progress *p);

#endif
