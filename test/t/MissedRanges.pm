# MissedRanges.pm
#	  For the audits of test/t/PatroniCluster.pm and test/t/Soak.pm: the
#	  ranges of slots the scheduler recorded as missed.  One 'skipped' row
#	  stands for them all ("missed: N slots from A to B not run"), so a due
#	  slot without its own row is traced if it falls in such a range.

package MissedRanges;

use strict;
use warnings;

use Exporter 'import';
our @EXPORT = qw($MISSED_CTE);

# a CTE "m (jobid, f, t)" to put in a WITH list
our $MISSED_CTE = q{m AS (
	SELECT d.jobid, (regexp_match(d.return_message, 'from (.+) to (.+) not run'))[1]::timestamptz AS f,
		   (regexp_match(d.return_message, 'from (.+) to (.+) not run'))[2]::timestamptz AS t
	FROM cron.job_run_details d
	WHERE d.status = 'skipped' AND d.return_message LIKE 'missed:%')};

1;
