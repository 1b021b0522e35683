package export

import (
	"errors"

	"github.com/superd/superd/pkg/config"
)

var errPending = errors.New("not implemented yet")

// Cron is not implemented yet.
func Cron(*config.Config, Options) (*Result, error) { return nil, errPending }

// Kubernetes is not implemented yet.
func Kubernetes(*config.Config, Options) (*Result, error) { return nil, errPending }

func checkCron([]File) (string, error)       { return "", ErrNoVerifier }
func checkKubernetes([]File) (string, error) { return "", ErrNoVerifier }
