package scenarios

import (
	"reflect"

	"github.com/goccy/go-yaml/ast"

	"github.com/memstorm/memstorm/units"
)

// Inherit is the value of limit.max (and of --limit) that takes the hard
// limit of the memory cgroup memstorm runs in, the container's under
// docker, podman or Kubernetes: a scenario written for containers then
// runs at whatever limit the container was given. stress.Prepare reads the
// limit; where memstorm's cgroup and those above it have none, the run is
// refused.
const Inherit = "inherit"

// limitText is the limit block as written: max may be a size or inherit.
type limitText struct {
	Max      hardLimit       `yaml:"max,omitempty"`
	High     Size            `yaml:"high,omitempty"`
	Swap     Size            `yaml:"swap,omitempty"`
	OOMGroup bool            `yaml:"oom_group,omitempty"`
	HugeTLB  map[string]Size `yaml:"hugetlb,omitempty"`
}

// hardLimit is limit.max as written.
type hardLimit struct {
	size    Size
	inherit bool
}

func (h *hardLimit) decodeNode(d *decoder, n ast.Node, path string) error {
	if text, ok := scalarText(n); ok && text == Inherit {
		h.inherit = true
		return nil
	}
	text, _ := scalarText(n)
	if _, err := units.ParseBytes(text); err != nil {
		return errAt(n, path, "%s, or %s (the limit of the cgroup memstorm runs in), got %s", sizeWant, Inherit, got(n))
	}
	return h.size.decodeNode(d, n, path)
}

// decodeNode reads the limit block, where max may be inherit.
func (l *Limit) decodeNode(d *decoder, n ast.Node, path string) error {
	var t limitText
	if err := d.decodeStruct(n, reflect.ValueOf(&t).Elem(), path); err != nil {
		return err
	}
	*l = Limit{Max: t.Max.size, Inherit: t.Max.inherit, High: t.High, Swap: t.Swap, OOMGroup: t.OOMGroup, HugeTLB: t.HugeTLB}
	return nil
}

// limitYAML is the limit block as Scenario.YAML writes it.
type limitYAML struct {
	Max      any             `yaml:"max,omitempty"`
	High     Size            `yaml:"high,omitempty"`
	Swap     Size            `yaml:"swap,omitempty"`
	OOMGroup bool            `yaml:"oom_group,omitempty"`
	HugeTLB  map[string]Size `yaml:"hugetlb,omitempty"`
}

// MarshalYAML writes the limit block, max as a size or as inherit.
func (l Limit) MarshalYAML() (any, error) {
	y := limitYAML{High: l.High, Swap: l.Swap, OOMGroup: l.OOMGroup, HugeTLB: l.HugeTLB}
	switch {
	case l.Inherit:
		y.Max = Inherit
	case l.Max > 0:
		y.Max = l.Max
	}
	return y, nil
}
