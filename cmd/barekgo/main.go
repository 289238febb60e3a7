// Command barekgo is the bare franz-go reference of make bench-peers: it
// produces the workload of scenarios/peer-100b.yaml (values half random
// bytes and half zeros from a pool of 1,000, keys drawn uniformly from
// 1,000, acks from all in-sync replicas, 5 ms linger, 64 KiB batches,
// lz4) with plain kgo and nothing of prodbench, at maximum rate: -workers
// goroutines call the asynchronous Produce in a loop and one promise
// counts the acks. Every other kgo option is kgo's default (idempotent
// writes, 10,000 buffered records, the sticky key partitioner with
// Kafka's murmur2).
//
// After -duration it prints one line a script can parse:
//
//	barekgo msgs_per_sec=933000.0 mb_per_sec=93.30 records=7464000 cpu_ns_per_record=1234.5 failed=0
//
// msgs_per_sec and mb_per_sec (10^6 bytes of keys and values per second,
// as prodbench counts them) count the acks of the measured window (after -warmup); records counts them.
// cpu_ns_per_record is the process's user+sys CPU time (getrusage) over
// the whole run divided by every record acked in it, warmup included.
//
// Exit status: 0 on success, 2 on bad flags, 1 when the brokers are
// unreachable or any record failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("barekgo", flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "seed brokers, host:port,...")
	topic := fs.String("topic", "peer-100b", "topic to produce to (created on first use by prodbench broker)")
	size := fs.Int("value-size", 100, "value size in bytes")
	codec := fs.String("compression", "lz4", "none, gzip, snappy, lz4 or zstd")
	duration := fs.Duration("duration", 10*time.Second, "run time, warmup included")
	warmup := fs.Duration("warmup", 2*time.Second, "first part of the run not measured")
	workers := fs.Int("workers", 4, "goroutines calling Produce")
	keys := fs.Int("keys", 1000, "distinct keys, drawn uniformly")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (pprof format) to FILE")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *size < 1 || *workers < 1 || *keys < 1 || *warmup < 0 || *duration <= *warmup {
		fmt.Fprintln(os.Stderr, "barekgo: need value-size, workers, keys >= 1 and 0 <= warmup < duration")
		return 2
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "barekgo: -cpuprofile:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "barekgo: -cpuprofile:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	var comp kgo.CompressionCodec
	switch *codec {
	case "none":
		comp = kgo.NoCompression()
	case "gzip":
		comp = kgo.GzipCompression()
	case "snappy":
		comp = kgo.SnappyCompression()
	case "lz4":
		comp = kgo.Lz4Compression()
	case "zstd":
		comp = kgo.ZstdCompression()
	default:
		fmt.Fprintf(os.Stderr, "barekgo: -compression: unknown codec %q\n", *codec)
		return 2
	}

	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.DefaultProduceTopic(*topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(64<<10),
		kgo.ProducerBatchCompression(comp),
		kgo.AllowAutoTopicCreation(),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "barekgo:", err)
		return 2
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = cl.Ping(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "barekgo: %s: %v\n", *brokers, err)
		return 1
	}

	// Values: a pool of 1,000, each floor(size/2) random bytes then zeros.
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([][]byte, 1000)
	for i := range values {
		v := make([]byte, *size)
		for j := range *size / 2 {
			v[j] = byte(rng.Uint32())
		}
		values[i] = v
	}
	keyTab := make([][]byte, *keys)
	for i := range keyTab {
		keyTab[i] = fmt.Appendf(nil, "key-%d", i)
	}

	var acked, ackedBytes, failed atomic.Int64
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
			return
		}
		acked.Add(1)
		ackedBytes.Add(int64(len(r.Key) + len(r.Value)))
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; !stop.Load(); i++ {
				rec := &kgo.Record{Key: keyTab[r.IntN(len(keyTab))], Value: values[r.IntN(len(values))]}
				cl.Produce(context.Background(), rec, promise)
			}
		}()
	}
	time.Sleep(time.Until(start.Add(*warmup)))
	from, fromB, fromT := acked.Load(), ackedBytes.Load(), time.Now()
	time.Sleep(time.Until(start.Add(*duration)))
	to, toB, toT := acked.Load(), ackedBytes.Load(), time.Now()
	stop.Store(true)
	wg.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	err = cl.Flush(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "barekgo: flush:", err)
		return 1
	}

	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	n := to - from
	secs := toT.Sub(fromT).Seconds()
	total := acked.Load()
	cpuPer := 0.0
	if total > 0 {
		cpuPer = float64(cpu.Nanoseconds()) / float64(total)
	}
	fmt.Printf("barekgo msgs_per_sec=%.1f mb_per_sec=%.2f records=%d cpu_ns_per_record=%.1f failed=%d\n",
		float64(n)/secs, float64(toB-fromB)/secs/1e6, n, cpuPer, failed.Load())
	if failed.Load() > 0 {
		return 1
	}
	return 0
}
