package config

import (
	"encoding/json"
	"fmt"
)

// String renders the mask in octal, at least three digits ("022").
func (u Umask) String() string { return fmt.Sprintf("%03o", uint32(u)) }

// MarshalJSON encodes the mask as an octal string like "022".
func (u Umask) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// UnmarshalJSON accepts an octal string or a number.
func (u *Umask) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n uint32
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*u = Umask(n)
		return nil
	}
	m, err := octal(s)
	if err != nil {
		return err
	}
	*u = m
	return nil
}

// MarshalJSON writes logfile_maxage as a duration string ("7d", "12h0m0s").
func (l Log) MarshalJSON() ([]byte, error) {
	type plain Log
	out := struct {
		plain
		MaxAge string `json:"logfile_maxage,omitempty"`
	}{plain: plain(l)}
	if l.MaxAge != 0 {
		out.MaxAge = FormatMaxAge(l.MaxAge)
	}
	return json.Marshal(out)
}

// JSON renders the effective configuration for `superd config`: after
// includes and expansion, each group with its processes, option names
// as supervisord spells them, typed values.
func JSON(c *Config) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return append(b, '\n'), nil
}
