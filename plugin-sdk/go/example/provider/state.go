package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// state is the simulated backend: what a real provider would ask its
// cloud or runtime for after a restart.
type state struct {
	Pods map[string]*podRecord `json:"pods"`
	// NextIP is the offset of the next pod IP in the pod network.
	NextIP uint32 `json:"nextIP"`
}

type podRecord struct {
	Pod *corev1.Pod `json:"pod"`
	// SecretLines say which Secrets were read at create (names and keys):
	// the first lines of every container's log.
	SecretLines []string `json:"secretLines,omitempty"`
}

func loadState(path string) (state, error) {
	s := state{Pods: map[string]*podRecord{}}
	if path == "" {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading the state file %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("the state file %s is not valid: %w", path, err)
	}
	if s.Pods == nil {
		s.Pods = map[string]*podRecord{}
	}
	return s, nil
}

// saveLocked writes the state file (atomically: a new file renamed over
// the old one). A failure is logged: the pods still run.
func (p *Provider) saveLocked() {
	path := p.cfg.StateFile
	if path == "" {
		return
	}
	data, err := json.Marshal(&p.state)
	if err == nil {
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
		if err = os.WriteFile(tmp, data, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		p.log.Error("could not write the state file", "file", path, "error", err.Error())
	}
}

// allocateIP hands out the next address of network (skipping its first).
func (s *state) allocateIP(network netip.Prefix) (netip.Addr, error) {
	size := uint64(1) << (network.Addr().BitLen() - network.Bits())
	if size < 4 || network.Addr().Is6() {
		return netip.Addr{}, fmt.Errorf("pod network %s is not an IPv4 network of at least 4 addresses", network)
	}
	offset := uint64(s.NextIP)%(size-2) + 1
	s.NextIP++
	base := network.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	n += uint32(offset)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), nil
}
