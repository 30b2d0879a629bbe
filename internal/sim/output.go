package sim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
)

// Columns is the header of the per-day table: day and date; per product
// its machines licensed, in initial grace, in out-of-tolerance grace, in
// notification (and without key); each count; each MAK key's remaining
// activations; each host's requests and busiest second.
func (r *Result) Columns() []string {
	cols := []string{"day", "date"}
	for _, p := range r.Products {
		cols = append(cols, p+" licensed", p+" oob_grace", p+" oot_grace", p+" notification", p+" unlicensed")
	}
	for _, c := range r.Counts {
		cols = append(cols, "count "+c.Label)
	}
	for _, k := range r.MAKKeys {
		cols = append(cols, "mak "+k+" remaining")
	}
	for _, h := range r.Hosts {
		cols = append(cols, h+" requests", h+" peak_rps")
	}
	return cols
}

// Row is day d's values in the order of [Result.Columns].
func (r *Result) Row(d int) []string {
	day := r.Days[d]
	row := []string{strconv.Itoa(day.Day), day.Date}
	for _, p := range day.Products {
		row = append(row, strconv.Itoa(p.Licensed), strconv.Itoa(p.OOBGrace), strconv.Itoa(p.OOTGrace),
			strconv.Itoa(p.Notification), strconv.Itoa(p.Unlicensed))
	}
	for _, c := range day.Counts {
		row = append(row, strconv.Itoa(c))
	}
	for _, k := range day.MAKRemaining {
		row = append(row, strconv.Itoa(k))
	}
	for h := range day.Requests {
		row = append(row, strconv.Itoa(day.Requests[h]), strconv.Itoa(day.PeakRPS[h]))
	}
	return row
}

// CSV is the per-day table as CSV with a header line.
func (r *Result) CSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(r.Columns())
	for d := range r.Days {
		_ = w.Write(r.Row(d))
	}
	w.Flush()
	return b.Bytes()
}

// JSON is the result as an indented JSON document.
func (r *Result) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
