package bench

// Query is a named SQL query over the table x.
type Query struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

// Suite returns the standard benchmark set (shared/bench/README.md): the h2o.ai
// db-benchmark group-by questions q1–q10 and the filters f1–f3, each over
// the table x.
func Suite() []Query {
	return []Query{
		{"q1", "SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1"},
		{"q2", "SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2"},
		{"q3", "SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3"},
		{"q4", "SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4"},
		{"q5", "SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6"},
		{"q6", "SELECT id4, id5, median(v3) AS median_v3, stddev_samp(v3) AS sd_v3 FROM x GROUP BY id4, id5"},
		{"q7", "SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3"},
		{"q8", "SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER " +
			"(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) s WHERE order_v3 <= 2"},
		{"q9", "SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4"},
		{"q10", "SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count " +
			"FROM x GROUP BY id1, id2, id3, id4, id5, id6"},
		{"f1", "SELECT count(*) AS n, sum(v3) AS sum_v3, avg(v1) AS avg_v1 FROM x WHERE v2 > 10 AND id4 < 50"},
		{"f2", "SELECT id1, sum(v1) AS v1, count(*) AS n FROM x WHERE v3 > 50 GROUP BY id1"},
		{"f3", "SELECT * FROM x WHERE id6 = 4242"},
	}
}
