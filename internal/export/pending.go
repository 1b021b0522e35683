package export

import (
	"errors"

	"github.com/superd/superd/pkg/config"
)

var errPending = errors.New("not implemented yet")

// Kubernetes is not implemented yet.
func Kubernetes(*config.Config, Options) (*Result, error) { return nil, errPending }

func checkKubernetes([]File) (string, error) { return "", ErrNoVerifier }
