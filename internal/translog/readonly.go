package translog

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ExportDir writes the export of the log in dir, as [Log.Export] does, up
// to the last checkpoint record in its file, without opening the log: it
// takes no lock and changes nothing, so another process may read a log
// that its owner keeps open and appends to (volactd kms report reads a
// serving host's log this way). Records after the last complete
// checkpoint record (a batch being written, a torn tail) are left out.
// It checks the records' checksums but no hash and no signature: it is
// for the log owner's own tools; auditors verify with [VerifyExport].
func ExportDir(dir string, w io.Writer) error {
	f, err := os.Open(filepath.Join(dir, logName))
	if err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	defer f.Close()
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != fileMagic {
		return fmt.Errorf("translog: %s is not a log file: %w", dir, ErrCorrupt)
	}
	if _, err := f.Seek(recordsStart, io.SeekStart); err != nil {
		return fmt.Errorf("translog: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintln(bw, ExportHeader)
	var batch bytes.Buffer // the leaves of the batch not yet covered
	enc := base64.NewEncoder(base64.StdEncoding, &batch)
	var buf []byte
	for {
		typ, payload, b, _, err := readRecord(r, buf)
		buf = b
		if err == io.EOF || errors.Is(err, errTorn) {
			break
		}
		if err != nil {
			return fmt.Errorf("translog: exporting: %w", err)
		}
		if typ == typeLeaf {
			batch.WriteString("leaf ")
			enc.Write(payload)
			enc.Close()
			batch.WriteByte('\n')
			continue
		}
		bw.Write(batch.Bytes())
		batch.Reset()
		bw.WriteString("checkpoint ")
		cenc := base64.NewEncoder(base64.StdEncoding, bw)
		cenc.Write(payload)
		cenc.Close()
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("translog: exporting: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("translog: exporting: %w", err)
	}
	return nil
}

// CheckpointDir returns the last complete checkpoint note in the file of
// the log in dir (nil while the log is empty), as [ExportDir] reads it:
// without opening or locking the log, so while its owner appends. It
// reads the whole file once and checks the records' checksums, no
// signature. volactd kms status reads a serving host's log this way.
func CheckpointDir(dir string) ([]byte, error) {
	f, err := os.Open(filepath.Join(dir, logName))
	if err != nil {
		return nil, fmt.Errorf("translog: %w", err)
	}
	defer f.Close()
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != fileMagic {
		return nil, fmt.Errorf("translog: %s is not a log file: %w", dir, ErrCorrupt)
	}
	if _, err := f.Seek(recordsStart, io.SeekStart); err != nil {
		return nil, fmt.Errorf("translog: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<16)
	var last, buf []byte
	for {
		typ, payload, b, _, err := readRecord(r, buf)
		buf = b
		if err == io.EOF || errors.Is(err, errTorn) {
			return last, nil
		}
		if err != nil {
			return nil, fmt.Errorf("translog: reading %s: %w", dir, err)
		}
		if typ == typeCkpt {
			last = append(last[:0], payload...)
		}
	}
}
