# bench/gnuplot/common.gp — terminal, colours and names shared by the
# benchmark plots (each loads it; bench/plot.sh sets gpdir, datadir, out and
# subtitle; a plot may set width and height first).

if (!exists("width")) width = 1200
if (!exists("height")) height = 800
set terminal pngcairo size width,height font "DejaVu Sans,11" noenhanced
set output out
set grid xtics ytics mxtics mytics lc rgb "#dddddd" lw 1
set key top left box opaque

# line colours by number (plots of several series without a fixed side)
set linetype 1 lc rgb "#1f77b4" lw 2 pt 7
set linetype 2 lc rgb "#d62728" lw 2 pt 7
set linetype 3 lc rgb "#2ca02c" lw 2 pt 7
set linetype 4 lc rgb "#9467bd" lw 2 pt 7
set linetype 5 lc rgb "#ff7f0e" lw 2 pt 7
set linetype 6 lc rgb "#8c564b" lw 2 pt 7
set linetype 7 lc rgb "#e377c2" lw 2 pt 7
set linetype 8 lc rgb "#7f7f7f" lw 2 pt 7
set linetype cycle 8

# one colour and name per side, the same in every plot
color(s) = s eq "cronext" ? 0x1f77b4 : \
           s eq "pg_cron_libpq" ? 0xd62728 : \
           s eq "pg_cron_bgw" ? 0x2ca02c : \
           s eq "pg_cron" ? 0xd62728 : 0x7f7f7f
name(s) = s eq "cronext" ? "cronext" : \
          s eq "pg_cron_libpq" ? "pg_cron 1.4, libpq connections" : \
          s eq "pg_cron_bgw" ? "pg_cron 1.4, background workers" : \
          s eq "pg_cron" ? "pg_cron 1.4" : s
