package expr

import "time"

// FormatDate renders days since 1970-01-01 as YYYY-MM-DD.
func FormatDate(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
}

// FormatTimestampMicros renders microseconds since the epoch (UTC) as
// YYYY-MM-DD HH:MM:SS[.ffffff], with the fraction only when non-zero.
func FormatTimestampMicros(us int64) string {
	t := time.UnixMicro(us).UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}
