// Package schedule owns superd's schedule math for [job:x] sections: it
// parses the three forms (interval=, times=, schedule=) and computes fire
// times in a time zone, with cronie's DST and clock-step rules. It is
// pure: no goroutines, no timers, no time.Now; the caller passes every
// time in, so everything is tested on fake times. pkg/jobs (the runner)
// sleeps, reads the clock and calls in.
//
// # Forms
//
//	interval 10          every 10 seconds; also MM:SS and HH:MM:SS
//	times 20:00,08:30:15 every day at these wall-clock times
//	schedule 5 * * * *   cron: 5 fields, or 6 with seconds first
//	schedule @daily      @yearly @annually @monthly @weekly @daily @midnight @hourly
//	schedule @every 1h30m
//
// Cron follows cronie (Debian's cron): names JAN-DEC and SUN-SAT, 0 and 7
// are Sunday, lists, ranges, steps (*/N, N-M/S, and N/S meaning N-max/S).
// When neither day field starts with '*', a day matches if the
// day-of-month or the day-of-week does (OR); when one starts with '*'
// (even "*/10"), both must. A cron expression that can never fire
// ("0 0 30 2 *") is a parse error; Next on such a schedule would return
// the zero Time after a bounded search (10 years).
//
// # Fixed and elapsed schedules
//
// A schedule is fixed-time (Fixed true) when it names wall-clock times:
// times=, and cron whose minute and hour fields both do not start with
// '*' (so @daily, @weekly, @monthly, @yearly, "30 2 * * *"). It is
// elapsed-time when it follows real time: interval=, @every, @hourly and
// cron whose minute or hour field starts with '*' ("*/15 * * * *",
// "0 * * * *"); this is cronie's MIN_STAR|HR_STAR rule.
//
// # Time zones and DST
//
// Wall-clock times are matched in the schedule's zone (loc, default
// time.Local). Next never skips nor doubles a fixed-time run:
//
//   - a fixed time that falls in a spring-forward gap (02:30 when clocks
//     go from 02:00 to 03:00) fires once, at the instant of the jump
//     (03:00 local); several gap times of one day fire together, once;
//   - a fixed time in a repeated fall-back hour (01:30) fires once, at its
//     first occurrence;
//   - an elapsed schedule fires at every instant whose wall-clock reading
//     matches: nothing in a gap (no such reading), both copies of a
//     repeated hour, so "*/15 * * * *" fires every 15 real minutes across
//     both transitions and an hourly job runs in both copies of the
//     repeated hour.
//
// The zone periods come from time.Time.ZoneBounds, so any offset change
// (30-minute DST, a day skipped by a zone change) follows the same rules.
// This package embeds time/tzdata, so zone names work in a bare container.
//
// # Interval anchoring
//
// interval= and @every fire at anchor + k*interval for integer k, where
// the anchor is the Unix epoch unless set with WithAnchor. So Next(t) is
// a pure function of t: the runner calls Next(now) and never drifts,
// however late it wakes; "interval 10" fires at :00, :10, :20 ... of
// every minute, "interval 3600" on every UTC hour.
//
// # Clock steps
//
// A runner that sleeps on a timer and re-reads the wall clock when it
// wakes calls Due(s, last, now) to learn which fire times in (last, now]
// to run, then passes Advance(s, last, now) as the next last. Due follows
// cronie: after a forward step of up to CatchupLimit (3 h) the fixed-time
// runs jumped over are caught up, each once; a larger step is a clock
// correction and catches up nothing (only fire times within OnTime of now
// run); a backward step never repeats the fixed-time runs already done
// (Advance keeps last until the clock passes it again, unless the step
// back is larger than CatchupLimit); elapsed schedules run at most once
// per wake-up, and on in real time after a step back. With times from
// time.Now, Step tells a clock step from a long sleep by the monotonic
// clock (a suspend counts as a step: the monotonic clock stops); with
// other times all of now-last counts as a step, as for cronie, which
// wakes every minute.
//
// Running missed jobs after superd was down (catchup=) is the runner's
// business: it is not a clock step.
package schedule

import _ "time/tzdata" // zone names work in a bare container
