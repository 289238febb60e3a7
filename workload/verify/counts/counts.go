// Package counts holds the verification figures of a run, a leaf both
// workload/verify (which computes them) and report (which writes them to
// result.json) import: report may import no producer package, and
// workload/verify imports the producer core.
package counts

// Counts are the verification figures of one topic partition, or of the
// whole run (verify.Result.Total, report.Verify.Total).
type Counts struct {
	// Topic and Partition name the partition; empty and -1 in totals.
	// Records a run sent but never acked or failed are counted nowhere.
	Topic     string `json:"topic,omitempty"`
	Partition int32  `json:"partition"`
	// Acked and Failed are the run's outcomes for the partition (a
	// failed record counts under the partition it was read back from,
	// else under partition -1 of its topic).
	Acked  int64 `json:"acked"`
	Failed int64 `json:"failed"`
	// ReadBack is the records of this run read back (duplicates
	// included).
	ReadBack int64 `json:"read_back"`
	// Lost is acked records not read back.
	Lost int64 `json:"lost"`
	// Duplicated is copies read back beyond the first.
	Duplicated int64 `json:"duplicated"`
	// Reordered is records read back after a later sequence of the same
	// worker, key and partition.
	Reordered int64 `json:"reordered"`
	// Corrupted is records whose value's CRC-32C differs from the stamp.
	Corrupted int64 `json:"corrupted"`
	// FailedPresent is records whose send failed but which were read
	// back (the broker wrote them; the answer was lost).
	FailedPresent int64 `json:"failed_present"`
}
