// The packed float32 GEMM driver (BLIS loop structure):
//   for jc (NC columns of C)  for pc (KC of the shared dimension): pack B[pc.., jc..] into NR-wide panels (shared,
//   packed cooperatively by all threads)  then each thread, for its rows ic (MC at a time): packs A[ic.., pc..]
//   into MR-high panels (its own buffer) and runs the micro-kernel over every (MR panel, NR panel) pair.
// Transposes only change how panels are packed. The A micro-panel (MR·KC floats) stays in L1 while the inner
// loop streams the B micro-panels from the KC x NC block held in L2. bias + activation are applied to each C
// tile right after its last K block, while the tile is still in cache (the fused epilogue).
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../cpu.h"
#include "../thread_pool.h"
#include "workspace.h"

namespace mtgrad {
namespace {

struct Blocking {
  long mc, kc, nc;
};

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  long x = v ? std::atol(v) : 0;
  return x > 0 ? x : fallback;
}

// Tuned on the development machine (AVX-512, 48 KiB L1d, 2 MiB L2 per core; 14x32 tiles): the A micro-panel
// (14·512·4 = 28 KiB) fits L1, the B block (512·512·4 = 1 MiB) fits L2, and KC = 512 halves the passes over C
// compared with 256 (measured: equal or better at every size of bench/matmul.ts, clearly better at K >= 1024).
// MTGRAD_GEMM_MC/KC/NC override them for tuning on other CPUs.
const Blocking& blocking() {
  static const Blocking b = [] {
    const KernelTable& kt = kernels();
    long mc = env_long("MTGRAD_GEMM_MC", 392), kc = env_long("MTGRAD_GEMM_KC", 512), nc = env_long("MTGRAD_GEMM_NC", 512);
    mc = std::max<long>(kt.mr, mc / kt.mr * kt.mr);
    nc = std::max<long>(kt.nr, nc / kt.nr * kt.nr);
    return Blocking{mc, kc, nc};
  }();
  return b;
}

// Below this many flops per product, one thread is faster than waking the pool. Measured on the 2-core
// development VM (waking a sleeping worker costs ~25 µs there): 1 vs 2 threads cross over near 176³.
const double kParallelFlops = 2.0 * 176 * 176 * 176;
// Below this many flops per product, packing costs more than it saves.
const double kSmallFlops = 2.0 * 40 * 40 * 40;
// Skinny products: the short side up to which the unpacked kernels beat packing, and the work above which a
// single skinny product is split over the pool (no packing phase to share, so the crossover is lower).
const long kSkinnyMax = env_long("MTGRAD_GEMM_SKINNY_MAX", 64);
const double kSkinnyParallelFlops = static_cast<double>(env_long("MTGRAD_GEMM_SKINNY_PAR", 3000000));

// Packed panels: one B block per slot (slot 0 is shared by the threads of one product; a batch of independent
// single-threaded products uses one slot per thread) and one A block per thread.
struct Workspace {
  std::mutex mu;  // one packed GEMM call at a time per process (JS worker threads may share the addon)
  std::vector<AlignedBuffer> b_panels = std::vector<AlignedBuffer>(256);
  std::vector<AlignedBuffer> a_panels = std::vector<AlignedBuffer>(256);
};
Workspace& workspace() {
  static Workspace* w = new Workspace();  // leaked: outlives any call at exit
  return *w;
}

struct Operand {
  const float* p;
  long rs, cs;  // element (r, c) at p[r*rs + c*cs]
};

// Packs rows [0, mc) x cols [0, kc) of A into MR-high panels: panel r holds, for each k, MR consecutive floats.
void pack_a(const Operand& A, long mc, long kc, int MR, float* out) {
  if (A.rs == 1) {
    // Transposed storage: the values of one k are contiguous across rows. Walk k outermost so each source row
    // is read once as one run (column-wise panel walks touch a new page per k: TLB-bound).
    // Whole panels are fixed-size copies (inlined moves, not a loop of scalar copies with a runtime bound).
    const long full = mc / MR * MR;
    // 16 source rows (k) at a time, panel by panel: those rows' pages and lines stay in the L1 TLB and cache while
    // every panel takes its MR floats of them, and each panel is written as one contiguous run of 16·MR floats.
    for (long p0 = 0; p0 < kc; p0 += 16) {
      const long p1 = std::min(kc, p0 + 16);
      for (long ir = 0; ir < full; ir += MR) {
        float* o = out + ir * kc + p0 * MR;
        const float* src = A.p + p0 * A.cs + ir;
        if (MR == 14) {
          for (long p = p0; p < p1; ++p, o += 14, src += A.cs) std::memcpy(o, src, 14 * sizeof(float));
        } else if (MR == 6) {
          for (long p = p0; p < p1; ++p, o += 6, src += A.cs) std::memcpy(o, src, 6 * sizeof(float));
        } else {
          for (long p = p0; p < p1; ++p, o += MR, src += A.cs) std::memcpy(o, src, static_cast<size_t>(MR) * sizeof(float));
        }
      }
    }
    for (long p = 0; p < kc; ++p) {
      const float* src = A.p + p * A.cs;
      float* o = out + p * MR;
      if (full < mc) {
        float* t = o + full * kc;
        long i = 0;
        for (; i < mc - full; ++i) t[i] = src[full + i];
        for (; i < MR; ++i) t[i] = 0.0f;
      }
    }
    return;
  }
  const KernelTable& kt = kernels();
  if (A.cs == 1 && MR <= 16 && kt.transpose16_masked) {
    // Row-major A: each strip of MR rows is transposed 16 k at a time in registers (masked at the edges, the
    // missing rows of the last strip as zeros), instead of MR scalar loads and stores per k.
    for (long ir = 0; ir < mc; ir += MR) {
      const int mr = static_cast<int>(std::min<long>(MR, mc - ir));
      const float* base = A.p + ir * A.rs;
      for (long p = 0; p < kc; p += 16)
        kt.transpose16_masked(base + p, A.rs, mr, static_cast<int>(std::min<long>(16, kc - p)), out + p * MR, MR, MR);
      out += MR * kc;
    }
    return;
  }
  for (long ir = 0; ir < mc; ir += MR) {
    long mr = std::min<long>(MR, mc - ir);
    const float* base = A.p + ir * A.rs;
    for (long p = 0; p < kc; ++p) {
      long i = 0;
      for (; i < mr; ++i) out[i] = base[i * A.rs + p * A.cs];
      for (; i < MR; ++i) out[i] = 0.0f;
      out += MR;
    }
  }
}

// Packs NR-wide panels [panel_begin, panel_end) of the kc x nc block of B: panel j holds NR consecutive floats per k.
void pack_b(const Operand& B, long kc, long nc, int NR, long panel_begin, long panel_end, float* out) {
  for (long jp = panel_begin; jp < panel_end; ++jp) {
    long jr = jp * NR;
    long nr = std::min<long>(NR, nc - jr);
    float* dst = out + jp * NR * kc;
    if (B.cs == 1 && nr == 32) {  // row-major B, a whole panel: fixed-size copies
      for (long p = 0; p < kc; ++p) std::memcpy(dst + p * 32, B.p + p * B.rs + jr, 32 * sizeof(float));
    } else if (B.cs == 1) {  // row-major B: the NR values of one k are contiguous
      for (long p = 0; p < kc; ++p) {
        const float* src = B.p + p * B.rs + jr;
        long j = 0;
        for (; j < nr; ++j) dst[j] = src[j];
        for (; j < NR; ++j) dst[j] = 0.0f;
        dst += NR;
      }
    } else if (nr == NR && NR % 16 == 0 && kernels().transpose16) {
      // Transposed B, a whole panel: 16 x 16 register transposes, the k tail copied element by element.
      const KernelTable& kt = kernels();
      long p = 0;
      for (; p + 16 <= kc; p += 16)
        for (long j = 0; j < NR; j += 16) kt.transpose16(B.p + (jr + j) * B.cs + p, B.cs, dst + p * NR + j, NR);
      for (long j = 0; j < nr; ++j) {
        const float* src = B.p + (jr + j) * B.cs;
        for (long q = p; q < kc; ++q) dst[q * NR + j] = src[q];
      }
    } else {  // transposed B: walk each column contiguously, 64 k at a time so the panel rows written stay in L1
      if (nr < NR)
        for (long p = 0; p < kc; ++p)
          for (long j = nr; j < NR; ++j) dst[p * NR + j] = 0.0f;
      for (long p0 = 0; p0 < kc; p0 += 64) {
        const long p1 = std::min(kc, p0 + 64);
        for (long j = 0; j < nr; ++j) {
          const float* src = B.p + (jr + j) * B.cs;
          for (long p = p0; p < p1; ++p) dst[p * NR + j] = src[p];
        }
      }
    }
  }
}

struct Job {
  Operand A, B;
  float* c;
  long m, k, n;
  const float* bias;
  int act;
};

// Runs micro-kernels for A panels [0, mc) (packed in ap) against B panels [jp0, jp1) (packed in bp).
void compute_block(const Job& j, const float* ap, const float* bp, long ic, long mc, long jc, long nc, long kc,
                   long jp0, long jp1, bool accumulate, bool last_k) {
  const KernelTable& kt = kernels();
  const int MR = kt.mr, NR = kt.nr;
  alignas(64) float tile[16 * 64];  // >= MR*NR of every variant
  // ir outer, jr inner: the A micro-panel (MR x kc) stays in L1 while the B micro-panels stream from L2.
  for (long ir = 0; ir < mc; ir += MR) {
    long mr = std::min<long>(MR, mc - ir);
    const float* apanel = ap + ir * kc;
    for (long jp = jp0; jp < jp1; ++jp) {
      long jr = jp * NR;
      long nr = std::min<long>(NR, nc - jr);
      const float* bpanel = bp + jp * NR * kc;
      float* cptr = j.c + (ic + ir) * j.n + jc + jr;
      if (mr == MR && nr == NR) {
        kt.microkernel(kc, apanel, bpanel, cptr, j.n, accumulate);
      } else {
        kt.microkernel(kc, apanel, bpanel, tile, NR, false);
        for (long i = 0; i < mr; ++i)
          for (long q = 0; q < nr; ++q)
            cptr[i * j.n + q] = accumulate ? cptr[i * j.n + q] + tile[i * NR + q] : tile[i * NR + q];
      }
    }
    // The fused epilogue over this MR-row strip of every tile just computed (MR x up to NC floats, still in L1):
    // one call per row instead of one per tile row.
    if (last_k && (j.bias || j.act) && jp1 > jp0) {
      const long c0 = jp0 * NR, c1 = std::min(nc, jp1 * NR);
      for (long i = 0; i < mr; ++i)
        kt.bias_act(j.act, j.c + (ic + ir + i) * j.n + jc + c0, j.bias ? j.bias + jc + c0 : nullptr,
                    static_cast<size_t>(c1 - c0));
    }
  }
}

void wait_until(const std::atomic<long>& v, long target) {
  for (int spins = 0; v.load(std::memory_order_acquire) < target; ++spins) {
    if (spins > 2000) std::this_thread::yield();
  }
}

// The multi-threaded packed GEMM for products with enough rows, as work-claiming tasks: no thread owns a fixed
// share, so one the OS has descheduled (these cores are shared) delays the others by at most one task instead
// of stalling every barrier, and one that never starts leaves its work to the rest.
//   Phases are the (K block, NC block) pairs, K blocks outermost. Each phase is `npack` tasks packing a slice of
//   its B block (double-buffered: phase f packs into buffer f % 2) followed by `nchunk` compute tasks, one per
//   chunk of MR-panel rows. In the first NC block of a K block, a chunk's compute task also packs that chunk's A
//   rows (kept for the later NC blocks). Tickets are claimed in order from one
//   counter and every wait is on a task with a smaller ticket, so there is no deadlock:
//     - a compute task waits for its phase's B to be packed and for the same chunk's task of the previous phase
//       (which packed its A rows or wrote the C tiles it accumulates into);
//     - a pack task waits for every compute task of phase f - 2 (the last reader of its buffer).
void packed_gemm_dynamic(const Job& j, int nthreads) {
  const KernelTable& kt = kernels();
  const int MR = kt.mr, NR = kt.nr;
  const Blocking& bl = blocking();
  Workspace& ws = workspace();
  const long ncap = std::min(bl.nc, (j.n + NR - 1) / NR * NR);
  const long kcap = std::min(bl.kc, j.k);
  const long panels = (j.m + MR - 1) / MR;
  // Row chunks per thread: 2 measured best at 1024x256x128 … 4096x512x512 on 2 cores (fewer tasks to order and
  // wait on; imbalance at the end stays under one chunk). MTGRAD_GEMM_CPT overrides it for tuning.
  static const long cpt = env_long("MTGRAD_GEMM_CPT", 2);
  const long chunk_panels = std::max<long>(1, std::min(bl.mc / MR, (panels + cpt * nthreads - 1) / (cpt * nthreads)));
  const long nchunk = (panels + chunk_panels - 1) / chunk_panels;
  const long nk = (j.k + bl.kc - 1) / bl.kc, nj = (j.n + bl.nc - 1) / bl.nc;
  const long phases = nk * nj;
  float* bbuf[2] = {ws.b_panels[0].get(static_cast<size_t>(ncap * kcap)), ws.b_panels[1].get(static_cast<size_t>(ncap * kcap))};
  // Packed A for every row of the current K block (a chunk's rows are only ever touched by that chunk's tasks,
  // which run in phase order, so one buffer serves every K block).
  // With one NC block a chunk's packed A is used by that task alone: each thread then packs into its own
  // chunk-sized buffer, reused chunk after chunk while it is still in that core's L2 (one buffer for all rows
  // would be written afresh every call: ~10% of a small product's time in write misses).
  const bool a_per_thread = nj == 1;
  float* abuf = a_per_thread ? nullptr : ws.a_panels[0].get(static_cast<size_t>(panels * MR * kcap));
  std::vector<float*> athread(static_cast<size_t>(nthreads), nullptr);
  if (a_per_thread)
    for (int t = 0; t < nthreads; ++t)
      athread[static_cast<size_t>(t)] = ws.a_panels[static_cast<size_t>(1 + t)].get(static_cast<size_t>(chunk_panels * MR * kcap));
  std::vector<long> npack(static_cast<size_t>(phases)), first(static_cast<size_t>(phases + 1));
  first[0] = 0;
  for (long f = 0; f < phases; ++f) {
    long jc = (f % nj) * bl.nc, nc = std::min(bl.nc, j.n - jc);
    npack[static_cast<size_t>(f)] = std::min<long>((nc + NR - 1) / NR, 2L * nthreads);
    first[static_cast<size_t>(f + 1)] = first[static_cast<size_t>(f)] + npack[static_cast<size_t>(f)] + nchunk;
  }
  const long total = first[static_cast<size_t>(phases)];
  std::unique_ptr<std::atomic<long>[]> packed(new std::atomic<long>[static_cast<size_t>(phases)]);
  std::unique_ptr<std::atomic<long>[]> computed(new std::atomic<long>[static_cast<size_t>(phases)]);
  std::unique_ptr<std::atomic<long>[]> chunk_phase(new std::atomic<long>[static_cast<size_t>(nchunk)]);  // phases done + 1
  for (long f = 0; f < phases; ++f) {
    packed[f].store(0, std::memory_order_relaxed);
    computed[f].store(0, std::memory_order_relaxed);
  }
  for (long c = 0; c < nchunk; ++c) chunk_phase[c].store(0, std::memory_order_relaxed);
  std::atomic<long> next{0};

  auto work = [&](int tid, int) {
    long f = 0;
    for (long t; (t = next.fetch_add(1, std::memory_order_relaxed)) < total;) {
      while (t >= first[static_cast<size_t>(f + 1)]) ++f;
      const long pc = (f / nj) * bl.kc, jc = (f % nj) * bl.nc;
      const long kc = std::min(bl.kc, j.k - pc), nc = std::min(bl.nc, j.n - jc);
      const long npanels = (nc + NR - 1) / NR;
      float* bp = bbuf[f % 2];
      const long np = npack[static_cast<size_t>(f)];
      const long local = t - first[static_cast<size_t>(f)];
      if (local < np) {
        if (f >= 2) wait_until(computed[f - 2], nchunk);
        Operand Bblk{j.B.p + pc * j.B.rs + jc * j.B.cs, j.B.rs, j.B.cs};
        pack_b(Bblk, kc, nc, NR, npanels * local / np, npanels * (local + 1) / np, bp);
        packed[f].fetch_add(1, std::memory_order_acq_rel);
        continue;
      }
      const long c = local - np;
      wait_until(packed[f], np);
      wait_until(chunk_phase[c], f);
      const long r0 = c * chunk_panels * MR, r1 = std::min(j.m, (c + 1) * chunk_panels * MR);
      // Several NC blocks: fixed per chunk (K blocks differ in depth: the last one is shorter).
      float* ap = a_per_thread ? athread[static_cast<size_t>(tid)] : abuf + r0 * kcap;
      if (jc == 0) {
        Operand Ablk{j.A.p + r0 * j.A.rs + pc * j.A.cs, j.A.rs, j.A.cs};
        pack_a(Ablk, r1 - r0, kc, MR, ap);
      }
      compute_block(j, ap, bp, r0, r1 - r0, jc, nc, kc, 0, npanels, pc > 0, pc + kc >= j.k);
      chunk_phase[c].store(f + 1, std::memory_order_release);
      computed[f].fetch_add(1, std::memory_order_acq_rel);
    }
  };
  if (!run_dynamic(nthreads, work)) work(0, 1);
}

void packed_gemm(const Job& j, int nthreads, int slot) {
  const KernelTable& kt = kernels();
  const int MR = kt.mr, NR = kt.nr;
  const Blocking& bl = blocking();
  Workspace& ws = workspace();
  long ncap = std::min(bl.nc, (j.n + NR - 1) / NR * NR);
  long kcap = std::min(bl.kc, j.k);
  float* bp = ws.b_panels[static_cast<size_t>(slot)].get(static_cast<size_t>(ncap * kcap));
  const long panels = (j.m + MR - 1) / MR;
  // Split rows across threads when there are enough MR panels to go around; otherwise split the NR panels
  // (each thread then packs the whole, small, A block itself).
  const bool split_m = panels >= 4L * nthreads;
  if (split_m && nthreads > 1 && slot == 0) {
    packed_gemm_dynamic(j, nthreads);
    return;
  }
  // With several NC blocks, each thread packs all of its rows of A for one K block once and keeps them while
  // every NC block of B goes by (K blocks outermost): A is packed once per K block instead of once per (NC block,
  // K block). With one NC block there is nothing to reuse, and MC-row blocks keep the packed A in L2.
  const bool cache_a = j.n > bl.nc;
  const long thread_rows = split_m ? (panels + nthreads - 1) / nthreads * MR : panels * MR;
  const long rows_cap = cache_a || !split_m ? thread_rows : std::min(bl.mc, thread_rows);
  for (int t = 0; t < nthreads; ++t) ws.a_panels[static_cast<size_t>(slot + t)].get(static_cast<size_t>(rows_cap * kcap));
  Barrier barrier(nthreads);

  parallel_run(nthreads, [&](int tid, int nt) {
    float* ap = ws.a_panels[static_cast<size_t>(slot + tid)].get(static_cast<size_t>(rows_cap * kcap));
    // Contiguous row ranges in whole MR panels, one per thread (all rows when not splitting M).
    const long r0 = split_m ? std::min(j.m, panels * tid / nt * MR) : 0;
    const long r1 = split_m ? std::min(j.m, panels * (tid + 1) / nt * MR) : j.m;
    for (long pc = 0; pc < j.k; pc += bl.kc) {
      const long kc = std::min(bl.kc, j.k - pc);
      const bool accumulate = pc > 0, last_k = pc + kc >= j.k;
      for (long jc = 0; jc < j.n; jc += bl.nc) {
        const long nc = std::min(bl.nc, j.n - jc);
        const long npanels = (nc + NR - 1) / NR;
        Operand Bblk{j.B.p + pc * j.B.rs + jc * j.B.cs, j.B.rs, j.B.cs};
        pack_b(Bblk, kc, nc, NR, npanels * tid / nt, npanels * (tid + 1) / nt, bp);
        if (jc == 0 && r1 > r0 && (cache_a || !split_m)) {
          Operand Ablk{j.A.p + r0 * j.A.rs + pc * j.A.cs, j.A.rs, j.A.cs};
          pack_a(Ablk, r1 - r0, kc, MR, ap);
        }
        barrier.wait();
        if (split_m) {
          // Walked MC rows at a time (A block + B block stay in L2).
          for (long ic = r0; ic < r1; ic += bl.mc) {
            const long mc = std::min(bl.mc, r1 - ic);
            const float* ablk = ap + (ic - r0) * kc;
            if (!cache_a) {
              Operand Ablk{j.A.p + ic * j.A.rs + pc * j.A.cs, j.A.rs, j.A.cs};
              pack_a(Ablk, mc, kc, MR, ap);
              ablk = ap;
            }
            compute_block(j, ablk, bp, ic, mc, jc, nc, kc, 0, npanels, accumulate, last_k);
          }
        } else {
          compute_block(j, ap, bp, 0, j.m, jc, nc, kc, npanels * tid / nt, npanels * (tid + 1) / nt, accumulate,
                        last_k);
        }
        barrier.wait();  // B panel is repacked next
      }
    }
  });
}

// Also unpacked: outputs a few columns wide with B transposed (one dot product per output, e.g. an MMoE gate
// [B, in] x [experts, in]^T) and a few rows of long rows (its weight gradient, [experts, B] x [B, in]), where
// packing would pad to whole MR x NR tiles and copy the big operand for little arithmetic.
bool is_small(const GemmShape& s) {
  const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  return flops < kSmallFlops || s.m <= 2 || (s.trans_b && s.n <= 8) || (!s.trans_b && s.m <= 8);
}

// Skinny products (one side at most 64: expert gates, towers, their weight gradients) on the register-blocked
// unpacked kernels where the CPU has them: packing would copy the long operand for a few tiles of work.
bool takes_skinny(const GemmShape& s) {
  return (is_small(s) || std::min(s.m, s.n) <= kSkinnyMax) && kernels().gemm_rowb && kernels().gemm_dot;
}

}  // namespace

SkinnyKind sgemm_skinny_kind(const GemmShape& s) {
  if (s.batch != 1 || s.m == 0 || s.n == 0 || s.k == 0 || !takes_skinny(s)) return SKINNY_NONE;
  if (skinny_uses_dot(s.m, s.n, s.k, s.trans_a, s.trans_b)) return SKINNY_DOT;
  return s.trans_b ? SKINNY_ROWB_BT : SKINNY_ROWB;
}

void gemm_epilogue(float* c, long m, long n, long ldc, const float* bias, int act) {
  if (!bias && !act) return;
  const KernelTable& kt = kernels();
  for (long i = 0; i < m; ++i) kt.bias_act(act, c + i * ldc, bias, static_cast<size_t>(n));
}

void sgemm(const float* a, const float* b, float* c, const float* bias, const GemmShape& s) {
  const long m = s.m, k = s.k, n = s.n;
  if (s.batch == 0 || m == 0 || n == 0) return;
  if (k == 0) {  // empty sum: zeros, then the epilogue
    std::memset(c, 0, sizeof(float) * static_cast<size_t>(s.batch * m * n));
    for (long e = 0; e < s.batch; ++e) gemm_epilogue(c + e * m * n, m, n, n, bias, s.act);
    return;
  }
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const bool small = is_small(s);
  if (takes_skinny(s)) {
    const double total = flops * static_cast<double>(s.batch);
    if (s.batch == 1) {
      sgemm_skinny(a, b, c, m, k, n, s.trans_a, s.trans_b, bias, s.act, total >= kSkinnyParallelFlops ? num_threads() : 1);
      return;
    }
    int nt = total >= kParallelFlops ? num_threads() : 1;
    parallel_for(static_cast<size_t>(s.batch), nt > 1 ? 1 : static_cast<size_t>(s.batch), [&](size_t e0, size_t e1) {
      for (size_t e = e0; e < e1; ++e)
        sgemm_skinny(a + static_cast<long>(e) * s.a_stride, b + static_cast<long>(e) * s.b_stride,
                     c + static_cast<long>(e) * m * n, m, k, n, s.trans_a, s.trans_b, bias, s.act, 1);
    });
    return;
  }
  if (small) {
    // Independent products: spread the batch over the pool when the total work is worth it.
    int nt = flops * static_cast<double>(s.batch) >= kParallelFlops ? num_threads() : 1;
    parallel_for(static_cast<size_t>(s.batch), nt > 1 ? 1 : static_cast<size_t>(s.batch), [&](size_t e0, size_t e1) {
      for (size_t e = e0; e < e1; ++e) {
        float* ce = c + static_cast<long>(e) * m * n;
        sgemm_small(a + static_cast<long>(e) * s.a_stride, b + static_cast<long>(e) * s.b_stride, ce, m, k, n,
                    s.trans_a, s.trans_b);
        gemm_epilogue(ce, m, n, n, bias, s.act);
      }
    });
    return;
  }
  auto job = [&](long e) {
    Job j;
    j.A = Operand{a + e * s.a_stride, s.trans_a ? 1 : k, s.trans_a ? m : 1};
    j.B = Operand{b + e * s.b_stride, s.trans_b ? 1 : n, s.trans_b ? k : 1};
    j.c = c + e * m * n;
    j.m = m;
    j.k = k;
    j.n = n;
    j.bias = bias;
    j.act = s.act;
    return j;
  };
  std::lock_guard<std::mutex> lock(workspace().mu);
  if (flops >= kParallelFlops || s.batch == 1 || flops * static_cast<double>(s.batch) < kParallelFlops) {
    // Each product big enough to share (or nothing to share): products in turn, each on the whole pool.
    int nt = flops >= kParallelFlops ? num_threads() : 1;
    for (long e = 0; e < s.batch; ++e) packed_gemm(job(e), nt, 0);
  } else {
    // Many mid-sized products: one thread per product, each with its own buffers.
    parallel_run(num_threads(), [&](int tid, int nt) {
      for (long e = tid; e < s.batch; e += nt) packed_gemm(job(e), 1, tid);
    });
  }
}

}  // namespace mtgrad
