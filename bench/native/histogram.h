/*
 * Latency histogram, log-linear: values below 64 have a bucket each; above, every power of two is
 * split into 64 sub-buckets, so a bucket's midpoint is within 1.6% of any value in it. Values are ns.
 */
#ifndef BENCH_HISTOGRAM_H
#define BENCH_HISTOGRAM_H

#include <stdint.h>

#define SUB_BITS 6
#define SUB (1 << SUB_BITS)
#define HIST_BUCKETS (SUB * 40)

static uint64_t hist[HIST_BUCKETS];

static inline void hist_record(uint64_t v) {
  int idx;
  if (v < SUB) {
    idx = (int)v;
  } else {
    int e = 63 - __builtin_clzll(v);
    idx = (e - SUB_BITS + 1) * SUB + (int)((v >> (e - SUB_BITS)) - SUB);
    if (idx >= HIST_BUCKETS) idx = HIST_BUCKETS - 1;
  }
  hist[idx]++;
}

/* The midpoint of a bucket's range. */
static inline double hist_value(int idx) {
  if (idx < SUB) return idx;
  int e = idx / SUB - 1 + SUB_BITS;
  uint64_t sub = (uint64_t)(idx % SUB) + SUB;
  double width = (double)(1ULL << (e - SUB_BITS));
  return (double)sub * width + width / 2;
}

/* The value at quantile q (0..1) of everything recorded, 0 when nothing was. */
static inline double hist_percentile(double q) {
  uint64_t total = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) total += hist[i];
  if (total == 0) return 0;
  uint64_t rank = (uint64_t)(q * (double)total);
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    seen += hist[i];
    if (seen > rank) return hist_value(i);
  }
  return 0;
}

#endif
