package ctl

import "github.com/superd/superd/pkg/config"

// findConfig returns the config file superctl reads when -c is not
// given: the same discovery as superd (superd's own locations, then
// supervisord's list relative to argv0), or "" if none exists.
func findConfig(argv0 string) string { return config.Find(argv0) }

// defaultServerURL is superd's built-in socket, used when no config
// file exists anywhere, so that `superctl status` finds a superd
// started without a config.
func defaultServerURL() string { return config.DefaultServerURL() }
