package commands_test

import (
	"testing"

	"github.com/shaledb/shale/server/servertest"
	"github.com/stretchr/testify/require"
)

func TestSmokeSetGet(t *testing.T) {
	s := servertest.Start(t)
	c := s.Client()
	v, err := servertest.Do(c, "SET", "k", "v")
	require.NoError(t, err)
	require.Equal(t, "OK", v)
	v, err = servertest.Do(c, "GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v", v)
	s.Restart()
	c = s.Client()
	v, err = servertest.Do(c, "GET", "k")
	require.NoError(t, err)
	require.Equal(t, "v", v)
}
