package workload

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// OMBDriver is an OMB Kafka driver file (driver-kafka/kafka-*.yaml), with
// the field names of OMB's DriverConfiguration.java and the Kafka
// driver's Config.java. The *Config fields are Java properties texts.
type OMBDriver struct {
	// Name is the driver's name, e.g. "Kafka" (OMB TestResult.driver).
	Name *string `yaml:"name"`
	// DriverClass must be OMBKafkaDriverClass when set.
	DriverClass *string `yaml:"driverClass"`
	// ReplicationFactor is the replication factor of created topics.
	ReplicationFactor *int `yaml:"replicationFactor"`
	// TopicConfig are topic configs for created topics
	// (min.insync.replicas=2).
	TopicConfig *string `yaml:"topicConfig"`
	// CommonConfig are client properties shared by producers, consumers
	// and the admin client (bootstrap.servers=localhost:9092).
	CommonConfig *string `yaml:"commonConfig"`
	// ProducerConfig are producer properties, applied over CommonConfig.
	ProducerConfig *string `yaml:"producerConfig"`
	// ConsumerConfig are consumer properties.
	ConsumerConfig *string `yaml:"consumerConfig"`
}

// ApplyOMBDriver reads the OMB Kafka driver file at path and applies it
// to s, as OMB's KafkaBenchmarkDriver does: commonConfig then
// producerConfig become producer options (ApplyKafkaProperties),
// bootstrap.servers becomes the target (kind kafka) unless the scenario
// has a target block; the driver's name is kept for OMB's result format.
// replicationFactor, topicConfig, consumerConfig and properties prodbench
// does not map are listed in the scenario's OMB note (OMBInfo.NotDone) by
// name. s must have a kafka target (or none). Errors name path, the line
// and the field or property; s is unchanged on error.
func (s *Scenario) ApplyOMBDriver(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("OMB driver %s: %w", path, err)
	}
	root, err := parseDocument(path, data)
	if err != nil {
		return err
	}
	d := &decoder{file: path, lines: map[string]int{"": max(1, root.Line)}}
	var drv OMBDriver
	if err := d.decode(root, reflect.ValueOf(&drv).Elem(), ""); err != nil {
		return err
	}
	line := func(f string) int { return fieldLine(d.lines, f) }
	bad := func(f string, line int, format string, args ...any) error {
		return &Error{File: path, Line: line, Field: f, Msg: fmt.Sprintf(format, args...)}
	}
	if drv.DriverClass != nil && *drv.DriverClass != OMBKafkaDriverClass {
		return bad("driverClass", line("driverClass"), "only OMB's Kafka driver (%s) is translated, got %s", OMBKafkaDriverClass, quote(*drv.DriverClass))
	}
	if sys, _, err := s.TargetSystem(); err != nil || sys.Kind != DefaultTargetKind {
		kind := "?"
		if err == nil {
			kind = sys.Kind
		}
		return bad("", 1, "an OMB Kafka driver applies to a kafka target; %s's target is kind %s", s.File, kind)
	}
	// The properties, common first, producer over them (OMB's order).
	var props []Property
	for _, blk := range []struct {
		field string
		text  *string
	}{{"commonConfig", drv.CommonConfig}, {"producerConfig", drv.ProducerConfig}} {
		if blk.text == nil {
			continue
		}
		ps, err := ParseProperties(*blk.text, propsFirstLine(root, blk.field, line(blk.field)))
		if err != nil {
			return bad(blk.field, line(blk.field), "%v", err)
		}
		props = append(props, ps...)
	}
	work := *s
	work.Producer = s.Producer
	res, err := ApplyKafkaProperties(&work.Producer, props)
	if err != nil {
		var pe *PropertyError
		if errors.As(err, &pe) && pe.Line > 0 {
			return bad(pe.Key, pe.Line, "%s", pe.Msg)
		}
		return bad("producerConfig", line("producerConfig"), "%v", err)
	}
	if _, err := work.ProducerConfig(); err != nil {
		var we *Error
		if errors.As(err, &we) {
			if pr, ok := res.Fields[we.Field]; ok {
				return bad(pr.Key, pr.Line, "%s", we.Msg)
			}
		}
		return bad("producerConfig", line("producerConfig"), "%v", err)
	}
	info := &OMBInfo{}
	if s.omb != nil {
		cp := *s.omb
		cp.NotDone = append([]string(nil), s.omb.NotDone...)
		info = &cp
	}
	info.DriverFile = path
	if drv.Name != nil {
		info.Driver = *drv.Name
	}
	if res.Bootstrap != "" {
		if work.Target == nil {
			if err := work.SetTargetURL("kafka://" + res.Bootstrap); err != nil {
				return bad("bootstrap.servers", res.BootstrapLine, "%v", err)
			}
		} else {
			info.NotDone = append(info.NotDone, "bootstrap.servers: the scenario's own target is kept")
		}
	}
	if drv.ReplicationFactor != nil || drv.TopicConfig != nil {
		var what []string
		if drv.ReplicationFactor != nil {
			what = append(what, fmt.Sprintf("replicationFactor %d", *drv.ReplicationFactor))
		}
		if drv.TopicConfig != nil {
			if tps, err := ParseProperties(*drv.TopicConfig, line("topicConfig")+1); err == nil && len(tps) > 0 {
				names := make([]string, len(tps))
				for i, p := range tps {
					names[i] = p.Key
				}
				what = append(what, "topicConfig "+strings.Join(names, ", "))
			}
		}
		info.NotDone = append(info.NotDone, strings.Join(what, ", ")+
			": topics are not created on a real cluster; create them beforehand (kafka-topics.sh --create --replication-factor, --config)")
	}
	if len(res.Ignored) > 0 {
		info.NotDone = append(info.NotDone, "properties not used: "+strings.Join(res.Ignored, ", "))
	}
	if drv.ConsumerConfig != nil {
		info.NotDone = append(info.NotDone, "consumerConfig: no consumers")
	}
	work.omb = info
	if err := work.Validate(); err != nil {
		return fmt.Errorf("after OMB driver %s: %w", path, err)
	}
	*s = work
	return nil
}

// propsFirstLine returns the file line of the first line of a properties
// block: the line after the key for a literal or folded block scalar,
// the key's line otherwise.
func propsFirstLine(root *yaml.Node, field string, keyLine int) int {
	v := mapValue(root, field)
	switch {
	case v == nil:
		return keyLine
	case v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return v.Line + 1
	}
	return v.Line
}
