module github.com/superd/superd

go 1.26.8

require (
	github.com/kardianos/service v1.3.0
	github.com/peterh/liner v1.2.3
	github.com/robfig/cron/v3 v3.0.1
	go.etcd.io/bbolt v1.4.3
	golang.org/x/sys v0.49.0
	gopkg.in/ini.v1 v1.68.0
	gopkg.in/natefinch/lumberjack.v2 v2.2.1
)

require (
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/mattn/go-runewidth v0.0.31 // indirect
)
