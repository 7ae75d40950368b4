// Fused recurrence kernels for tfjs-backend-wasm, in AssemblyScript (compiled by scripts/build-wasm.mjs).
//
// The module imports the tfjs wasm module's own memory, so every pointer below is a byte offset into tfjs's
// heap: kernels read input tensors and write output tensors in place, with no copies. It therefore must own no
// memory itself: no static data, no allocation (runtime stub, never called). Scratch space is _malloc'ed by the
// caller (sizes from forwardScratchBytes / backwardScratchBytes).
//
// Layout: tensors are row-major float32. Right-hand operands of the matmuls (W, U, Uᵀ, Wᵀ, dZ) are packed into
// panels of 8 columns (zero-padded), so the 4x8 micro-kernels stream them contiguously and never need a column
// tail on loads; only stores are clipped to the real width.

const ACT_TANH: i32 = 0;
const ACT_RELU: i32 = 1;
const ACT_SIGMOID: i32 = 2;
// ACT_LINEAR = 3: identity.
const ACT_HARD_SIGMOID: i32 = 4; // Keras 3: clip(z/6 + 1/2, 0, 1)
const ACT_HARD_SIGMOID_KERAS2: i32 = 5; // Keras 2, tfjs-layers: clip(0.2z + 1/2, 0, 1)
const ACT_SOFTSIGN: i32 = 6; // z / (1 + |z|)

const F: usize = 4; // bytes per float32
// Blocking, sized for a conservative cache (32 KiB L1d, 512 KiB L2), not for the development machine's (48 KiB,
// 1 MiB): what a gemm re-reads must stay resident on any machine of the kind, whatever else shares the L2.
const KC: i32 = 256; // depth block: one 8-column panel of B is 8 KiB (L1), a 64-row block of packed A 64 KiB (L2)
const NC: i32 = 256; // column block of gemm: KC·NC floats of packed B = 256 KiB, re-read by every row block (L2)

// ---------------------------------------------------------------------------------------------------------
// Activations. tanh is Eigen's rational approximation (max abs error 4e-7 against float64 tanh): libm tanh
// per element would cost more than the matmuls. sigmoid(z) = (1 + tanh(z/2)) / 2.

// @ts-ignore: decorator
@inline function tanh4(v: v128): v128 {
  // Estrin's scheme rather than Horner's: the same polynomials, in a tree of depth 3 instead of a chain of 7
  // multiply-adds. A gated step's activations sit on its critical path (c needs i, f, g; h needs tanh(c)), so the
  // shorter dependency chain is what an LSTM or GRU at a small batch waits on.
  const clamp = f32x4.splat(7.90531110763549805);
  // pmin/pmax (x86's minps/maxps): the same result as min/max here, NaN included (it passes through), but one
  // instruction each where V8 spends seven on min/max's NaN and ±0 rules.
  const x = f32x4.pmax(f32x4.pmin(v, clamp), f32x4.neg(clamp));
  const y = f32x4.mul(x, x);
  const y2 = f32x4.mul(y, y);
  const y4 = f32x4.mul(y2, y2);
  const p01 = f32x4.add(f32x4.splat(4.89352455891786e-3), f32x4.mul(y, f32x4.splat(6.37261928875436e-4)));
  const p23 = f32x4.add(f32x4.splat(1.48572235717979e-5), f32x4.mul(y, f32x4.splat(5.12229709037114e-8)));
  const p45 = f32x4.add(f32x4.splat(-8.60467152213735e-11), f32x4.mul(y, f32x4.splat(2.00018790482477e-13)));
  const p46 = f32x4.add(p45, f32x4.mul(y2, f32x4.splat(-2.76076847742355e-16)));
  const p03 = f32x4.add(p01, f32x4.mul(y2, p23));
  const p = f32x4.mul(f32x4.add(p03, f32x4.mul(y4, p46)), x);
  const q01 = f32x4.add(f32x4.splat(4.89352518554385e-3), f32x4.mul(y, f32x4.splat(2.268434632439e-3)));
  const q23 = f32x4.add(f32x4.splat(1.18534705686654e-4), f32x4.mul(y, f32x4.splat(1.19825839466702e-6)));
  const q = f32x4.add(q01, f32x4.mul(y2, q23));
  return f32x4.div(p, q);
}

// @ts-ignore: decorator
@inline function activate4(z: v128, act: i32): v128 {
  if (act == ACT_TANH) return tanh4(z);
  if (act == ACT_RELU) return f32x4.max(z, f32x4.splat(0));
  if (act == ACT_SIGMOID) {
    const half = f32x4.splat(0.5);
    return f32x4.add(half, f32x4.mul(half, tanh4(f32x4.mul(z, half))));
  }
  if (act == ACT_HARD_SIGMOID || act == ACT_HARD_SIGMOID_KERAS2) {
    // Same float32 operation order as core's composite: z·k + 1/2, then the clip.
    const k = f32x4.splat(act == ACT_HARD_SIGMOID ? <f32>(1.0 / 6.0) : <f32>0.2);
    const v = f32x4.add(f32x4.mul(z, k), f32x4.splat(0.5));
    return f32x4.min(f32x4.max(v, f32x4.splat(0)), f32x4.splat(1));
  }
  if (act == ACT_SOFTSIGN) return f32x4.div(z, f32x4.add(f32x4.abs(z), f32x4.splat(1)));
  return z;
}

/**
 * act'(z) from a = act(z): tanh 1 − a², sigmoid a(1 − a), relu [a > 0], hard sigmoids k·[0 < a < 1],
 * softsign (1 − |a|)², linear 1.
 */
// @ts-ignore: decorator
@inline function slope4(a: v128, act: i32): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_TANH) return f32x4.sub(one, f32x4.mul(a, a));
  if (act == ACT_SIGMOID) return f32x4.mul(a, f32x4.sub(one, a));
  if (act == ACT_RELU) return v128.and(f32x4.gt(a, f32x4.splat(0)), one);
  if (act == ACT_HARD_SIGMOID || act == ACT_HARD_SIGMOID_KERAS2) {
    const k = f32x4.splat(act == ACT_HARD_SIGMOID ? <f32>(1.0 / 6.0) : <f32>0.2);
    return v128.and(v128.and(f32x4.gt(a, f32x4.splat(0)), f32x4.lt(a, one)), k);
  }
  if (act == ACT_SOFTSIGN) {
    const d = f32x4.sub(one, f32x4.abs(a));
    return f32x4.mul(d, d);
  }
  return one;
}

// @ts-ignore: decorator
@inline function activate1(z: f32, act: i32): f32 {
  return f32x4.extract_lane(activate4(f32x4.splat(z), act), 0);
}

// @ts-ignore: decorator
@inline function slope1(a: f32, act: i32): f32 {
  return f32x4.extract_lane(slope4(f32x4.splat(a), act), 0);
}

// ---------------------------------------------------------------------------------------------------------
// Packing. Right-hand operands are packed into panels of 8 columns, [n/8][k][8] floats, so the micro-kernel
// streams B contiguously (32 bytes per k) whatever the source layout: a transposed view such as Uᵀ or Wᵀ is
// packed straight from U or W. Columns past n are zero.

// @ts-ignore: decorator
@inline function pad8(n: i32): i32 {
  return (n + 7) & ~7;
}

/** Bytes of one panel of `k` rows. */
// @ts-ignore: decorator
@inline function panelBytes(k: i32): usize {
  return <usize>k * 32;
}

/** Packs B(p, q) = src + p·rsb + q·csb (bytes), p < k, q < n, into panels at dst. */
function packPanels(src: usize, rsb: usize, csb: usize, k: i32, n: i32, dst: usize): void {
  for (let j = 0; j < n; j += 8) {
    const cols = min(8, n - j);
    const panel = dst + <usize>(j >> 3) * panelBytes(k);
    const col = src + <usize>j * csb;
    if (cols == 8 && csb == F) {
      for (let p = 0; p < k; p++) {
        const from = col + <usize>p * rsb;
        v128.store(panel + <usize>p * 32, v128.load(from));
        v128.store(panel + <usize>p * 32, v128.load(from, 16), 16);
      }
    } else {
      for (let p = 0; p < k; p++) {
        const to = panel + <usize>p * 32;
        const from = col + <usize>p * rsb;
        for (let l = 0; l < 8; l++) store<f32>(to + <usize>l * F, l < cols ? load<f32>(from + <usize>l * csb) : 0);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// gemm: C[m, n] (+)= A[m, k] · B[k, n], 4x8 register blocks (8 f32x4 accumulators: fits x86's 16 vector
// registers with room for B and the broadcast A).
// A(i, p) is read at a + i·rsa + p·csa (bytes): a row-major A has csa = 4, a transposed view rsa = 4 (the weight
// gradients Xᵀ·dZ and H_prevᵀ·dZ); a transposed A is first copied into a [k][4] micro-panel so the kernel reads
// it contiguously. B comes packed (packPanels); C is row-major with pitch ldc, only its first n columns and
// `rows` rows are written.

// @ts-ignore: decorator
@inline function storeRow(c: usize, v0: v128, v1: v128, cols: i32, acc: bool): void {
  if (cols == 8) {
    if (acc) {
      v0 = f32x4.add(v0, v128.load(c));
      v1 = f32x4.add(v1, v128.load(c, 16));
    }
    v128.store(c, v0);
    v128.store(c, v1, 16);
    return;
  }
  let v = v0;
  let rem = cols;
  if (cols >= 4) {
    if (acc) v0 = f32x4.add(v0, v128.load(c));
    v128.store(c, v0);
    c += 16;
    v = v1;
    rem = cols - 4;
  }
  if (rem > 0) store<f32>(c, f32x4.extract_lane(v, 0) + (acc ? load<f32>(c) : 0));
  if (rem > 1) store<f32>(c, f32x4.extract_lane(v, 1) + (acc ? load<f32>(c, 4) : 0), 4);
  if (rem > 2) store<f32>(c, f32x4.extract_lane(v, 2) + (acc ? load<f32>(c, 8) : 0), 8);
}

/**
 * The 4x8 micro-kernel over `blocks` blocks of 4 rows and every 8-column panel of n columns, panels outer: rows
 * 4b + i of A at a + b·aBlock + i·rsa (p·csa further for column p), panel q of B at panels + q·panelStride, C
 * block (b, q) at c + 4b·ldc + 8q floats. `rows` (≤ 4) rows of each block are stored, `cols` of a panel's 8.
 * One call per gemm block rather than one per 4x8 register block: a call's entry, frame and exit cost about as much
 * as a sixth of a K = 64 block (measured in V8: 51 GFLOP/s one call per block, ~60 looping here). Each C entry
 * sums over p in order as before, so results are unchanged bit for bit.
 */
function kernelBlocks(
  a: usize, rsa: usize, csa: usize, aBlock: usize, blocks: i32, rows: i32,
  panels: usize, panelStride: usize, c: usize, ldc: usize, k: i32, n: i32, acc: bool,
): void {
  const r1 = rsa, r2 = rsa * 2, r3 = rsa * 3;
  const kb = <usize>k * 32;
  for (let j = 0; j < n; j += 8) {
    const cols = min(8, n - j);
    const panel = panels + <usize>(j >> 3) * panelStride;
    const end = panel + kb;
    let ab = a;
    let cb = c + <usize>j * F;
    for (let blk = 0; blk < blocks; blk++) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let ap = ab;
      let b = panel;
      while (b < end) {
        const b0 = v128.load(b);
        const b1 = v128.load(b, 16);
        let s = v128.load32_splat(ap);
        c00 = f32x4.add(c00, f32x4.mul(s, b0));
        c01 = f32x4.add(c01, f32x4.mul(s, b1));
        s = v128.load32_splat(ap + r1);
        c10 = f32x4.add(c10, f32x4.mul(s, b0));
        c11 = f32x4.add(c11, f32x4.mul(s, b1));
        s = v128.load32_splat(ap + r2);
        c20 = f32x4.add(c20, f32x4.mul(s, b0));
        c21 = f32x4.add(c21, f32x4.mul(s, b1));
        s = v128.load32_splat(ap + r3);
        c30 = f32x4.add(c30, f32x4.mul(s, b0));
        c31 = f32x4.add(c31, f32x4.mul(s, b1));
        ap += csa;
        b += 32;
      }
      storeRow(cb, c00, c01, cols, acc);
      if (rows > 1) storeRow(cb + ldc, c10, c11, cols, acc);
      if (rows > 2) storeRow(cb + ldc * 2, c20, c21, cols, acc);
      if (rows > 3) storeRow(cb + ldc * 3, c30, c31, cols, acc);
      ab += aBlock;
      cb += ldc * 4;
    }
  }
}

function kernel1x8(a: usize, csa: usize, b: usize, c: usize, k: i32, cols: i32, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const s = v128.load32_splat(a);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(b)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(b, 16)));
    a += csa;
    b += 32;
  }
  storeRow(c, c0, c1, cols, acc);
}

/**
 * C (+)= A·B with B already packed (kc rows per panel). `micro` is kc·16 bytes of scratch for a transposed A's
 * micro-panel.
 */
function gemmPacked(a: usize, rsa: usize, csa: usize, panels: usize, c: usize, ldc: usize, m: i32, kc: i32, n: i32, acc: bool, micro: usize): void {
  const transposed = rsa == F;
  for (let i = 0; i < m; i += 4) {
    const rows = min(4, m - i);
    const ai = a + <usize>i * rsa;
    const ci = c + <usize>i * ldc;
    if (transposed) {
      // [kc][4] copy of rows i..i+3 (zeros past m), reused by every column panel.
      for (let p = 0; p < kc; p++) {
        const from = ai + <usize>p * csa;
        const to = micro + <usize>p * 16;
        if (rows == 4) v128.store(to, v128.load(from));
        else for (let l = 0; l < 4; l++) store<f32>(to + <usize>l * F, l < rows ? load<f32>(from + <usize>l * F) : 0);
      }
      kernelBlocks(micro, F, 16, 0, 1, rows, panels, panelBytes(kc), ci, ldc, kc, n, acc);
    } else if (rows == 4) {
      kernelBlocks(ai, rsa, csa, 0, 1, 4, panels, panelBytes(kc), ci, ldc, kc, n, acc);
    } else {
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j += 8) {
          kernel1x8(ai + <usize>r * rsa, csa, panels + <usize>(j >> 3) * panelBytes(kc), ci + <usize>r * ldc + <usize>j * F, kc, min(8, n - j), acc);
        }
      }
    }
  }
}

/** Slack every scratch size includes, so that the kernels can start their buffers on a 64-byte line. */
const ALIGN: f64 = 64;

/** `p` rounded up to a cache line: tfjs's allocator guarantees less, and a misaligned panel splits loads. */
// @ts-ignore: decorator
@inline function aligned(p: usize): usize {
  return (p + 63) & ~<usize>63;
}

/** Scratch bytes {@link gemm} needs for n columns: one KC×NC block of B panels and an A micro-panel. */
function gemmWorkBytes(n: i32): f64 {
  return <f64>KC * <f64>pad8(min(n, NC)) * 4 + <f64>KC * 16;
}

/**
 * C[m, n] (+)= A[m, k]·B[k, n] with B(p, q) at b + p·rsb + q·csb, in blocks of NC columns and KC rows of B: each
 * block is packed once (256 KiB) and stays in L2 while every row block of A goes through it. (One depth block of
 * all n columns, as before, was 1 MiB for the LSTM weight gradients at H = 256: re-read from L3 by each of the
 * m/4 row blocks.) `work`: gemmWorkBytes(n).
 */
function gemm(a: usize, rsa: usize, csa: usize, b: usize, rsb: usize, csb: usize, c: usize, ldc: usize, m: i32, k: i32, n: i32, acc: bool, work: usize): void {
  if (k == 0) {
    if (!acc) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldc, 0, <usize>n * F);
    return;
  }
  const micro = work + <usize>KC * <usize>pad8(min(n, NC)) * F;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      packPanels(b + <usize>p0 * rsb + <usize>j0 * csb, rsb, csb, kc, nc, work);
      gemmPacked(a + <usize>p0 * csa, rsa, csa, work, c + <usize>j0 * F, ldc, m, kc, nc, acc || p0 > 0, micro);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Forward.
//
// One fused pass per step and per 4x8 block of the new state: the accumulators start from the bias, take
// x_t·W and h_{s−1}·U (one K loop over I + H), then the activation and the mask blend are applied in registers
// and the block is stored straight into the output. No projection buffer, no second pass over the states.

// Not inlined: it runs once per 4x8 block, and inlining it 4× per kernel (with the activations) triples the module.
function storeState(h: usize, hPrev: usize, v0: v128, v1: v128, cols: i32, m: f32, act: i32): void {
  v0 = activate4(v0, act);
  v1 = activate4(v1, act);
  if (cols == 8) {
    if (m == 0) {
      // A masked row keeps its state exactly (a select, not a blend: 0·NaN from a masked input is NaN).
      v0 = v128.load(hPrev);
      v1 = v128.load(hPrev, 16);
    } else if (m != 1) {
      // A fractional mask blends: h ← h_prev + m·(h − h_prev).
      v0 = blend(v128.load(hPrev), v0, m);
      v1 = blend(v128.load(hPrev, 16), v1, m);
    }
    v128.store(h, v0);
    v128.store(h, v1, 16);
    return;
  }
  // Column tail: lane by lane, never touching memory past the row.
  for (let l = 0; l < cols; l++) {
    const q = l & 3;
    const v = l < 4 ? v0 : v1;
    let e = q == 0 ? f32x4.extract_lane(v, 0) : q == 1 ? f32x4.extract_lane(v, 1) : q == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
    if (m != 1) {
      const pe = load<f32>(hPrev + <usize>l * F);
      e = m == 0 ? pe : pe + m * (e - pe);
    }
    store<f32>(h + <usize>l * F, e);
  }
}

/**
 * Rows i..i+3, columns j..j+7 of one step. x and hPrev point at row i of the operands (rows xPitch and hPitch
 * bytes apart, `step` bytes between k and k+1: F in place, 16 in packed micro-panels), prev (the previous states,
 * pitch prevPitch, read for masked rows) and mask at row i, h at row i and column j (jb bytes); wp and up at the
 * column panel of W and U, bp at column j of the 8-padded bias.
 */
function step4x8(
  x: usize, xPitch: usize, wp: usize, inputSize: i32, hPrev: usize, hPitch: usize, up: usize, hidden: i32, step: usize,
  prev: usize, prevPitch: usize, bp: usize, h: usize, outPitch: usize, mask: usize, maskPitch: usize, jb: usize, cols: i32, act: i32,
): void {
  const bias0 = v128.load(bp);
  const bias1 = v128.load(bp, 16);
  let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
  const r1 = xPitch, r2 = xPitch * 2, r3 = xPitch * 3;
  let a = x;
  let b = wp;
  for (let p = 0; p < inputSize; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let sv = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(sv, b0));
    c01 = f32x4.add(c01, f32x4.mul(sv, b1));
    sv = v128.load32_splat(a + r1);
    c10 = f32x4.add(c10, f32x4.mul(sv, b0));
    c11 = f32x4.add(c11, f32x4.mul(sv, b1));
    sv = v128.load32_splat(a + r2);
    c20 = f32x4.add(c20, f32x4.mul(sv, b0));
    c21 = f32x4.add(c21, f32x4.mul(sv, b1));
    sv = v128.load32_splat(a + r3);
    c30 = f32x4.add(c30, f32x4.mul(sv, b0));
    c31 = f32x4.add(c31, f32x4.mul(sv, b1));
    a += step;
    b += 32;
  }
  const q1 = hPitch, q2 = hPitch * 2, q3 = hPitch * 3;
  a = hPrev;
  b = up;
  for (let p = 0; p < hidden; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let sv = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(sv, b0));
    c01 = f32x4.add(c01, f32x4.mul(sv, b1));
    sv = v128.load32_splat(a + q1);
    c10 = f32x4.add(c10, f32x4.mul(sv, b0));
    c11 = f32x4.add(c11, f32x4.mul(sv, b1));
    sv = v128.load32_splat(a + q2);
    c20 = f32x4.add(c20, f32x4.mul(sv, b0));
    c21 = f32x4.add(c21, f32x4.mul(sv, b1));
    sv = v128.load32_splat(a + q3);
    c30 = f32x4.add(c30, f32x4.mul(sv, b0));
    c31 = f32x4.add(c31, f32x4.mul(sv, b1));
    a += step;
    b += 32;
  }
  const pj = prev + jb;
  storeState(h, pj, c00, c01, cols, load<f32>(mask), act);
  storeState(h + outPitch, pj + prevPitch, c10, c11, cols, load<f32>(mask + maskPitch), act);
  storeState(h + outPitch * 2, pj + prevPitch * 2, c20, c21, cols, load<f32>(mask + maskPitch * 2), act);
  storeState(h + outPitch * 3, pj + prevPitch * 3, c30, c31, cols, load<f32>(mask + maskPitch * 3), act);
}

/** One row of {@link step4x8}, for the batch tail. */
function step1x8(
  x: usize, wp: usize, inputSize: i32, hPrev: usize, up: usize, hidden: i32, step: usize,
  prev: usize, bp: usize, h: usize, mask: usize, jb: usize, cols: i32, act: i32,
): void {
  let c0 = v128.load(bp);
  let c1 = v128.load(bp, 16);
  let a = x;
  let b = wp;
  for (let p = 0; p < inputSize; p++) {
    const sv = v128.load32_splat(a);
    c0 = f32x4.add(c0, f32x4.mul(sv, v128.load(b)));
    c1 = f32x4.add(c1, f32x4.mul(sv, v128.load(b, 16)));
    a += step;
    b += 32;
  }
  a = hPrev;
  b = up;
  for (let p = 0; p < hidden; p++) {
    const sv = v128.load32_splat(a);
    c0 = f32x4.add(c0, f32x4.mul(sv, v128.load(b)));
    c1 = f32x4.add(c1, f32x4.mul(sv, v128.load(b, 16)));
    a += step;
    b += 32;
  }
  storeState(h, prev + jb, c0, c1, cols, load<f32>(mask), act);
}

/**
 * Bytes of scratch {@link forward} needs: W and U in panels, the bias padded to H8, a mask of ones [B, T] and the
 * step's x_t and h_{t−1} in 4-row micro-panels.
 */
export function forwardScratchBytes(batch: i32, steps: i32, inputSize: i32, hidden: i32): f64 {
  const packed = <f64>((batch + 3) & ~3) * <f64>(inputSize + hidden);
  return (<f64>(inputSize + hidden + 1) * <f64>pad8(hidden) + <f64>batch * <f64>steps + packed) * 4 + ALIGN;
}

/**
 * Hidden states out[B, T, H] in processing order: h_s = act(x_t·W + h_{s−1}·U + b) where t = s, or T−1−s
 * when `backwards`; a masked step (mask[b, t] = 0) carries h_{s−1}. `bias` and `mask` [B, T] are 0 when absent.
 */
export function forward(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, mask: usize, out: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, backwards: bool,
): void {
  const hBytes = <usize>hidden * F;
  const hpBytes = <usize>pad8(hidden) * F;
  const wp = aligned(scratch); // panels of W
  const up = wp + <usize>inputSize * hpBytes; // panels of U
  const bp = up + <usize>hidden * hpBytes; // bias, zero-padded to 8 columns
  packPanels(w, hBytes, F, inputSize, hidden, wp);
  packPanels(u, hBytes, F, hidden, hidden, up);
  memory.fill(bp, 0, hpBytes);
  if (bias != 0) memory.copy(bp, bias, hBytes);
  const ones = bp + hpBytes; // [B, T]
  if (mask == 0) {
    mask = ones;
    for (let i = 0; i < batch * steps; i++) store<f32>(mask + <usize>i * F, 1);
  }
  // x_t and h_{t−1} are packed per step into 4-row micro-panels [⌈B/4⌉][K][4]: in place their rows are T·I and
  // T·H floats apart (T·H·4 bytes is a multiple of 4 KiB whenever T is a multiple of 4 at H = 256: every row in
  // the same L1 set, few L2 sets, and a page each), packed they are one contiguous stream. Below 4 rows, in place.
  const packed = batch >= 4;
  const xPack = ones + <usize>batch * <usize>steps * F;
  const hPack = xPack + <usize>((batch + 3) & ~3) * <usize>inputSize * F;
  const xBlock = <usize>inputSize * 16;
  const hBlock = <usize>hidden * 16;

  const outPitch = <usize>steps * hBytes;
  const xPitch = <usize>steps * <usize>inputSize * F;
  const maskPitch = <usize>steps * F;
  for (let s = 0; s < steps; s++) {
    const t = backwards ? steps - 1 - s : s;
    const xT = x + <usize>t * <usize>inputSize * F;
    const maskT = mask + <usize>t * F;
    const hT = out + <usize>s * hBytes;
    const prev = s == 0 ? h0 : hT - hBytes;
    const prevPitch = s == 0 ? hBytes : outPitch;
    if (packed) {
      packRows(xT, xPitch, batch, inputSize, xPack);
      packRows(prev, prevPitch, batch, hidden, hPack);
    }
    for (let j = 0; j < hidden; j += 8) {
      const cols = min(8, hidden - j);
      const jb = <usize>j * F;
      const wj = wp + <usize>(j >> 3) * panelBytes(inputSize);
      const uj = up + <usize>(j >> 3) * panelBytes(hidden);
      let i = 0;
      if (packed) {
        for (; i + 4 <= batch; i += 4) {
          const blk = <usize>(i >> 2);
          step4x8(
            xPack + blk * xBlock, F, wj, inputSize, hPack + blk * hBlock, F, uj, hidden, 16, prev + <usize>i * prevPitch, prevPitch,
            bp + jb, hT + <usize>i * outPitch + jb, outPitch, maskT + <usize>i * maskPitch, maskPitch, jb, cols, act,
          );
        }
        for (; i < batch; i++) {
          const lane = <usize>(i >> 2);
          const l = <usize>(i & 3) * F;
          step1x8(
            xPack + lane * xBlock + l, wj, inputSize, hPack + lane * hBlock + l, uj, hidden, 16, prev + <usize>i * prevPitch,
            bp + jb, hT + <usize>i * outPitch + jb, maskT + <usize>i * maskPitch, jb, cols, act,
          );
        }
      } else {
        for (; i < batch; i++) {
          step1x8(
            xT + <usize>i * xPitch, wj, inputSize, prev + <usize>i * prevPitch, uj, hidden, F, prev + <usize>i * prevPitch,
            bp + jb, hT + <usize>i * outPitch + jb, maskT + <usize>i * maskPitch, jb, cols, act,
          );
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Backward (BPTT).
//
// Gradients that flow back over many steps shrink geometrically into float32's subnormal range, where x86
// arithmetic runs ~100× slower (wasm has no flush-to-zero mode): B8·T1000·H128 with a loss on the last step only
// took 585 ms instead of ~50. So g and dz are flushed to zero below 1e-30 in magnitude, far below anything
// that can move a float32 weight (and far below the parity tolerances).

const TINY: f32 = 1e-30;

// @ts-ignore: decorator
@inline function flush4(v: v128): v128 {
  return v128.and(v, f32x4.ge(f32x4.abs(v), f32x4.splat(TINY)));
}

// @ts-ignore: decorator
@inline function flush1(v: f32): f32 {
  return abs(v) >= TINY ? v : 0;
}

/** Bytes the backward passes reserve for {@link takenInputs}: B·T·I floats, rounded up to whole vectors. */
function takenInputsBytes(batch: i32, steps: i32, inputSize: i32): f64 {
  return <f64>(((<i64>batch * <i64>steps * <i64>inputSize) + 3) & ~3) * 4;
}

/**
 * x [B·T, I] itself, or, when some step's mask is 0, a copy at `dst` with those steps' rows zeroed. The backward
 * passes run their batched products (X·W, Xᵀ·dZ) over every row; a skipped step's dZ row is 0, and 0·NaN = NaN, so
 * without this a NaN or Inf in a skipped step's input would reach dW (and the gate values recomputed from it).
 */
function takenInputs(x: usize, mask: usize, rows: i32, inputSize: i32, dst: usize): usize {
  if (mask == 0) return x;
  let skipped = false;
  for (let r = 0; r < rows; r++) {
    if (load<f32>(mask + <usize>r * F) == 0) {
      skipped = true;
      break;
    }
  }
  if (!skipped) return x;
  const rowBytes = <usize>inputSize * F;
  for (let r = 0; r < rows; r++) {
    const to = dst + <usize>r * rowBytes;
    if (load<f32>(mask + <usize>r * F) == 0) memory.fill(to, 0, rowBytes);
    else memory.copy(to, x + <usize>r * rowBytes, rowBytes);
  }
  return dst;
}

/**
 * Bytes of scratch {@link backward} needs: Uᵀ in panels, dZ [B·T, H8], H_prev [B·T, H], the carried gradient
 * and g [B, H8] each, and gemm's work space.
 */
export function backwardScratchBytes(batch: i32, steps: i32, inputSize: i32, hidden: i32): f64 {
  const hp = <f64>pad8(hidden);
  const rows = <f64>batch * <f64>steps;
  return (<f64>hidden * hp + rows * hp + rows * <f64>hidden + 2 * <f64>batch * hp) * 4 + takenInputsBytes(batch, steps, inputSize) + stepPackBytes(batch) + gemmWorkBytes(max(hidden, inputSize)) + ALIGN;
}

/**
 * Gradients of {@link forward}: dx [B, T, I] in original time order, dW [I, H], dU [H, H], db [H], dh0 [B, H].
 * `hs` and `dy` [B, T, H] are in processing order; `mask` is 0 when absent (all steps taken).
 * g_s = dy_s + carry; dz_s = m·g_s⊙act'(h_s); carry ← dz_s·Uᵀ + (1 − m)·g_s; the weight gradients are single
 * gemms over all B·T rows once every dz is known.
 */
export function backward(
  x: usize, w: usize, u: usize, h0: usize, hs: usize, dy: usize, mask: usize,
  dx: usize, dw: usize, du: usize, db: usize, dh0: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, backwards: bool,
): void {
  const hp = pad8(hidden);
  const hpBytes = <usize>hp * F;
  const hBytes = <usize>hidden * F;
  const rows = batch * steps;
  const ut = aligned(scratch); // Uᵀ in panels
  const dz = ut + <usize>hidden * hpBytes; // [B, T, H8], original time order
  const hPrev = dz + <usize>rows * hpBytes; // [B, T, H], original time order, aligned with dz
  const carry = hPrev + <usize>rows * hBytes; // [B, H8]
  const g = carry + <usize>batch * hpBytes; // [B, H8]
  const xs = g + <usize>batch * hpBytes; // x with skipped steps' rows zeroed (takenInputs)
  const pack = xs + <usize>takenInputsBytes(batch, steps, inputSize); // stepGemm
  const work = pack + <usize>stepPackBytes(batch); // gemm
  packPanels(u, F, hBytes, hidden, hidden, ut); // Uᵀ(p, q) = U[q, p]
  memory.fill(carry, 0, <usize>batch * hpBytes);

  const seqPitch = <usize>steps * hBytes; // bytes between batch rows of hs, dy
  const dzPitch = <usize>steps * hpBytes;
  const vecEnd = hidden & ~3;
  for (let s = steps - 1; s >= 0; s--) {
    const t = backwards ? steps - 1 - s : s;
    const dzT = dz + <usize>t * hpBytes;
    for (let bi = 0; bi < batch; bi++) {
      const m: f32 = mask == 0 ? 1 : load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const mv = f32x4.splat(m);
      const dyRow = dy + <usize>bi * seqPitch + <usize>s * hBytes;
      const hRow = hs + <usize>bi * seqPitch + <usize>s * hBytes;
      const cRow = carry + <usize>bi * hpBytes;
      const gRow = g + <usize>bi * hpBytes;
      const dzRow = dzT + <usize>bi * dzPitch;
      let j = 0;
      for (; j < vecEnd; j += 4) {
        const o = <usize>j * F;
        const gv = flush4(f32x4.add(v128.load(dyRow + o), v128.load(cRow + o)));
        v128.store(gRow + o, gv);
        v128.store(dzRow + o, m == 0 ? f32x4.splat(0) : flush4(f32x4.mul(f32x4.mul(gv, slope4(v128.load(hRow + o), act)), mv)));
      }
      for (; j < hidden; j++) {
        const o = <usize>j * F;
        const gs = flush1(load<f32>(dyRow + o) + load<f32>(cRow + o));
        store<f32>(gRow + o, gs);
        store<f32>(dzRow + o, m == 0 ? 0 : flush1(gs * slope1(load<f32>(hRow + o), act) * m));
      }
    }
    // carry = dz_s·Uᵀ (+ (1 − m)·g_s on masked rows).
    stepGemm(dzT, dzPitch, ut, carry, hpBytes, batch, hidden, hidden, false, pack);
    if (mask != 0) {
      for (let bi = 0; bi < batch; bi++) {
        const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
        if (m == 1) continue;
        const keep = f32x4.splat(1 - m);
        const cRow = carry + <usize>bi * hpBytes;
        const gRow = g + <usize>bi * hpBytes;
        // Rows are padded to 8 columns, so whole vectors cover the tail.
        for (let j = 0; j < hidden; j += 4) {
          const o = <usize>j * F;
          v128.store(cRow + o, f32x4.add(v128.load(cRow + o), f32x4.mul(keep, v128.load(gRow + o))));
        }
      }
    }
  }
  for (let bi = 0; bi < batch; bi++) memory.copy(dh0 + <usize>bi * hBytes, carry + <usize>bi * hpBytes, hBytes);

  // H_prev[b, t] = the state step t started from (h0 for the first processed step), in original time order.
  for (let bi = 0; bi < batch; bi++) {
    for (let s = 0; s < steps; s++) {
      const t = backwards ? steps - 1 - s : s;
      const src = s == 0 ? h0 + <usize>bi * hBytes : hs + <usize>bi * seqPitch + <usize>(s - 1) * hBytes;
      memory.copy(hPrev + (<usize>bi * <usize>steps + <usize>t) * hBytes, src, hBytes);
    }
  }

  // Weight gradients over all B·T rows at once, A read transposed in place.
  gemm(hPrev, F, hBytes, dz, hpBytes, F, du, hBytes, hidden, rows, hidden, false, work);
  gemm(takenInputs(x, mask, rows, inputSize, xs), F, <usize>inputSize * F, dz, hpBytes, F, dw, hBytes, inputSize, rows, hidden, false, work);
  // dx = dZ·Wᵀ, already in original time order; Wᵀ(p, q) = W[q, p].
  gemm(dz, hpBytes, F, w, F, hBytes, dx, <usize>inputSize * F, rows, hidden, inputSize, false, work);

  // db = Σ_rows dZ (columns past H are summed too and dropped).
  for (let j = 0; j < hp; j += 4) {
    let sum = f32x4.splat(0);
    for (let r = 0; r < rows; r++) sum = f32x4.add(sum, v128.load(dz + <usize>r * hpBytes + <usize>j * F));
    const o = <usize>j * F;
    if (j + 4 <= hidden) v128.store(db + o, sum);
    else {
      for (let l = 0; l < hidden - j; l++) {
        // extract_lane needs a constant lane index.
        const v = l == 0 ? f32x4.extract_lane(sum, 0) : l == 1 ? f32x4.extract_lane(sum, 1) : f32x4.extract_lane(sum, 2);
        store<f32>(db + o + <usize>l * F, v);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Gated cells (LSTM: gates i, f, c, o; GRU: gates z, r, h; Keras layouts, see core's cells/lstm.ts and cells/gru.ts).
//
// Forward: the input projection P = X·W + b of every step and every gate is one gemm over all B·T rows; each step
// then runs one register-blocked gemm h_{s−1}·U for all gates at once (GRU without resetAfter: two, since
// (r⊙h)·U_h needs r first) and one element-wise pass that applies the activations, the state update and the mask.
// Backward: the gate values of every step are recomputed by the same batched gemms from the saved states; the
// step loop carries ∂/∂h (and ∂/∂c) with one gemm against a pre-transposed U per step; the weight gradients and
// dx are single gemms over all B·T rows, as for SimpleRNN.
//
// Element-wise passes walk a row's H columns 4 at a time and finish a tail lane by lane, on the same code (`wide`).

// @ts-ignore: decorator
@inline function ld(p: usize, wide: bool): v128 {
  return wide ? v128.load(p) : v128.load32_splat(p);
}

// @ts-ignore: decorator
@inline function st(p: usize, v: v128, wide: bool): void {
  if (wide) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

/** prev + m·(next − prev) for a fractional mask; exactly next for m = 1 and prev for m = 0 (callers branch on those). */
// @ts-ignore: decorator
@inline function blend(prev: v128, next: v128, m: f32): v128 {
  return f32x4.add(prev, f32x4.mul(f32x4.splat(m), f32x4.sub(next, prev)));
}

/** Bytes of {@link stepGemm}'s `pack` for m rows: one depth block of A in 4-row micro-panels. */
function stepPackBytes(m: i32): f64 {
  return <f64>((m + 3) & ~3) * <f64>KC * 4;
}

/**
 * Copies rows 0..m−1, columns 0..kc−1 of A (row pitch rsa) into micro-panels [⌈m/4⌉][kc][4] at dst (rows past m
 * zero): 4×4 transposes in registers.
 */
function packRows(a: usize, rsa: usize, m: i32, kc: i32, dst: usize): void {
  const blockBytes = <usize>kc * 16;
  for (let i = 0; i < m; i += 4) {
    const rows = min(4, m - i);
    const r0 = a + <usize>i * rsa;
    const to = dst + <usize>(i >> 2) * blockBytes;
    let p = 0;
    if (rows == 4) {
      const r1 = r0 + rsa, r2 = r0 + rsa * 2, r3 = r0 + rsa * 3;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p * F;
        const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
        const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
        const d = to + <usize>p * 16;
        v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
        v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
        v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
      }
    }
    for (; p < kc; p++) {
      const d = to + <usize>p * 16;
      for (let l = 0; l < 4; l++) store<f32>(d + <usize>l * F, l < rows ? load<f32>(r0 + <usize>l * rsa + <usize>p * F) : 0);
    }
  }
}

/**
 * C[m, n] (+)= A[m, k]·B with A row-major (pitch rsa) and B packed into panels of k rows: the per-step recurrent
 * products. Per depth block of KC, A is first packed into contiguous 4-row micro-panels (`pack`: stepPackBytes(m)):
 * its rows are T·H floats apart in the state tensors (100 KiB at L, a multiple of 4 KiB: every row on its own page
 * and in the same L1 sets), packed they are one 64 KiB stream. Then column panels outer, row blocks inner, so a
 * KC-deep slice of a panel of U (8 KiB) stays in L1 for every row block and the packed block (≤ 64 KiB at B = 64)
 * in L2. Below 4 rows A is read in place.
 */
function stepGemm(a: usize, rsa: usize, panels: usize, c: usize, ldc: usize, m: i32, k: i32, n: i32, acc: bool, pack: usize): void {
  if (m < 4) {
    for (let j = 0; j < n; j += 8) {
      const cols = min(8, n - j);
      const panel = panels + <usize>(j >> 3) * panelBytes(k);
      for (let i = 0; i < m; i++) kernel1x8(a + <usize>i * rsa, F, panel, c + <usize>i * ldc + <usize>j * F, k, cols, acc);
    }
    return;
  }
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const add = acc || p0 > 0;
    packRows(a + <usize>p0 * F, rsa, m, kc, pack);
    const blockBytes = <usize>kc * 16;
    const full = m >> 2;
    kernelBlocks(pack, F, 16, blockBytes, full, 4, panels + <usize>p0 * 32, panelBytes(k), c, ldc, kc, n, add);
    if ((m & 3) == 0) continue;
    for (let j = 0; j < n; j += 8) {
      const cols = min(8, n - j);
      const panel = panels + <usize>(j >> 3) * panelBytes(k) + <usize>p0 * 32;
      const cj = c + <usize>j * F;
      for (let i = full << 2; i < m; i++) kernel1x8(pack + <usize>(i >> 2) * blockBytes + <usize>(i & 3) * F, 16, panel, cj + <usize>i * ldc, kc, cols, add);
    }
  }
}

/**
 * One row of C = a·B over two column panels at once (16 columns, the second panel `stride` bytes after the first):
 * four independent accumulator chains, where {@link kernel1x8}'s two wait on add latency at every step of k. Each
 * column still sums over p in order, as kernel1x8 and kernelBlocks do, so a row's result does not depend on the path
 * that computed it (kernel threads split the batch and must match one thread bit for bit).
 */
function rowKernel1x16(a: usize, b: usize, stride: usize, c: usize, k: i32, cols: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = b + <usize>k * 32;
  while (b < end) {
    const s = v128.load32_splat(a);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(b)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(b, 16)));
    c2 = f32x4.add(c2, f32x4.mul(s, v128.load(b + stride)));
    c3 = f32x4.add(c3, f32x4.mul(s, v128.load(b + stride, 16)));
    a += F;
    b += 32;
  }
  storeRow(c, c0, c1, 8, false);
  storeRow(c + 32, c2, c3, min(8, cols - 8), false);
}

/**
 * The forwards' per-step product h·U: {@link stepGemm}, except below 4 rows (small batches: a matrix-vector
 * product per row), where each row goes through two panels of U at a time ({@link rowKernel1x16}).
 */
function stepGemmForward(a: usize, rsa: usize, panels: usize, c: usize, ldc: usize, m: i32, k: i32, n: i32, pack: usize): void {
  if (m >= 4) {
    stepGemm(a, rsa, panels, c, ldc, m, k, n, false, pack);
    return;
  }
  const stride = panelBytes(k);
  for (let i = 0; i < m; i++) {
    const ai = a + <usize>i * rsa;
    const ci = c + <usize>i * ldc;
    let j = 0;
    for (; j + 8 < n; j += 16) rowKernel1x16(ai, panels + <usize>(j >> 3) * stride, stride, ci + <usize>j * F, k, n - j);
    if (j < n) kernel1x8(ai, F, panels + <usize>(j >> 3) * stride, ci + <usize>j * F, k, n - j, false);
  }
}

/** Fills `rows` rows of `n` floats (pitch ldc) with the vector `bias` (n floats). */
function fillRows(c: usize, ldc: usize, rows: i32, bias: usize, n: i32): void {
  const bytes = <usize>n * F;
  for (let r = 0; r < rows; r++) memory.copy(c + <usize>r * ldc, bias, bytes);
}

/** P[B·T, n] (pitch ldp) = bias + X·W, rows in original time order; W [I, n] row-major with pitch ldw. */
function projectInputs(x: usize, w: usize, ldw: usize, bias: usize, p: usize, ldp: usize, rows: i32, inputSize: i32, n: i32, work: usize): void {
  fillRows(p, ldp, rows, bias, n);
  gemm(x, <usize>inputSize * F, F, w, ldw, F, p, ldp, rows, inputSize, n, true, work);
}

/**
 * Steps per chunk of the gated forwards' input projection: a chunk's [B, TC, G] rows stay within 1 MiB, so they
 * are written and read back from L2/L3 instead of a whole [B·T, G] matrix streamed through memory (26 MB for an
 * LSTM at L, and as many fresh pages to fault in whenever the heap had to grow for it). Small shapes: all steps.
 */
function chunkSteps(batch: i32, steps: i32, g: i32): i32 {
  // Whole 4-row blocks per example (the gemm's 4×8 kernel), at least one.
  const tc = <i32>Math.floor(1048576 / (<f64>max(batch, 1) * <f64>rowPitch(g))) & ~3;
  return max(1, min(steps, max(4, tc)));
}

/** Scratch bytes of the chunked projection: one chunk of P, W in panels and an A micro-panel. */
function chunkBytes(batch: i32, steps: i32, inputSize: i32, g: i32): f64 {
  return <f64>batch * <f64>chunkSteps(batch, steps, g) * <f64>rowPitch(g) + <f64>inputSize * <f64>pad8(g) * 4 + <f64>inputSize * 16 + 64;
}

/**
 * One chunk of the input projection: pc[bi·tc + (t − t0)] = bias + x[bi, t]·W for t0 ≤ t < t0 + tc and every
 * example, rows ldp bytes apart; W comes packed in panels of inputSize rows (wp); micro: inputSize·16 bytes.
 */
function projectChunk(x: usize, wp: usize, bias: usize, pc: usize, ldp: usize, batch: i32, steps: i32, t0: i32, tc: i32, inputSize: i32, g: i32, micro: usize): void {
  const xRow = <usize>inputSize * F;
  for (let bi = 0; bi < batch; bi++) {
    const dst = pc + <usize>bi * <usize>tc * ldp;
    fillRows(dst, ldp, tc, bias, g);
    if (inputSize > 0) gemmPacked(x + (<usize>bi * <usize>steps + <usize>t0) * xRow, xRow, F, wp, dst, ldp, tc, inputSize, g, true, micro);
  }
}

/** prev[b·T + t] = the state step t started from (the initial state for the first processed step), original time order. */
function previousStates(init: usize, states: usize, prev: usize, batch: i32, steps: i32, hidden: i32, backwards: bool): void {
  const hBytes = <usize>hidden * F;
  const seqPitch = <usize>steps * hBytes;
  for (let bi = 0; bi < batch; bi++) {
    for (let s = 0; s < steps; s++) {
      const t = backwards ? steps - 1 - s : s;
      const src = s == 0 ? init + <usize>bi * hBytes : states + <usize>bi * seqPitch + <usize>(s - 1) * hBytes;
      memory.copy(prev + (<usize>bi * <usize>steps + <usize>t) * hBytes, src, hBytes);
    }
  }
}

/** Whether the n floats at p are all ±0. */
function allZero(p: usize, n: i32): bool {
  const magnitude = i32x4.splat(0x7fffffff);
  let any = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) any = v128.or(any, v128.and(v128.load(p + <usize>i * F), magnitude));
  if (v128.any_true(any)) return false;
  for (; i < n; i++) if ((load<u32>(p + <usize>i * F) & 0x7fffffff) != 0) return false;
  return true;
}

/** Whether the n floats at p are all finite (no ±Inf, no NaN). */
function allFinite(p: usize, n: i32): bool {
  const exponent = i32x4.splat(0x7f800000);
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) bad = v128.or(bad, i32x4.eq(v128.and(v128.load(p + <usize>i * F), exponent), exponent));
  if (v128.any_true(bad)) return false;
  for (; i < n; i++) if ((load<u32>(p + <usize>i * F) & 0x7f800000) == 0x7f800000) return false;
  return true;
}

/** out[j] = Σ_rows d[r, j] for j < n (d's pitch ldd). */
function columnSums(d: usize, ldd: usize, rows: i32, n: i32, out: usize): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let sum = f32x4.splat(0);
    for (let r = 0; r < rows; r++) sum = f32x4.add(sum, v128.load(d + <usize>r * ldd + <usize>j * F));
    v128.store(out + <usize>j * F, sum);
  }
  for (; j < n; j++) {
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) sum += load<f32>(d + <usize>r * ldd + <usize>j * F);
    store<f32>(out + <usize>j * F, sum);
  }
}

// @ts-ignore: decorator
@inline function gateStride(n: i32): usize {
  return <usize>pad8(n) * F;
}

/**
 * Row pitch (bytes) of the [rows, n] scratch matrices (gate values, products, gradients): n padded to 8, plus one
 * cache line when that is a multiple of 2 KiB. An LSTM at H = 256 has rows of exactly 4 KiB, and rows 4 KiB apart
 * all fall into the same L1 set (and into few L2 sets): a 4×8 block's stores and a step's 64 rows would evict each
 * other. One line of padding staggers them.
 */
// @ts-ignore: decorator
@inline function rowPitch(n: i32): usize {
  const b = <usize>pad8(n) * F;
  return (b & 2047) == 0 ? b + 64 : b;
}

// ----- LSTM forward

/** Bytes of scratch {@link lstmForward} needs: U in panels, P [B·T, 4H], the step's products [B, 4H8], gemm work. */
export function lstmForwardScratchBytes(batch: i32, steps: i32, inputSize: i32, hidden: i32): f64 {
  const g = 4 * hidden;
  return <f64>hidden * <f64>pad8(g) * 4 + <f64>batch * <f64>rowPitch(g) + stepPackBytes(batch) + gemmWorkBytes(g) + chunkBytes(batch, steps, inputSize, g) + ALIGN;
}

// @ts-ignore: decorator
@inline function lstmLanesOf(p: usize, q: usize, hp: usize, cp: usize, ho: usize, co: usize, zo: usize, hidden: i32, j: i32, m: f32, act: i32, gateAct: i32, wide: bool): void {
  const o = <usize>j * F;
  const gs = <usize>hidden * F;
  const i = activate4(f32x4.add(ld(p + o, wide), ld(q + o, wide)), gateAct);
  const f = activate4(f32x4.add(ld(p + gs + o, wide), ld(q + gs + o, wide)), gateAct);
  const g = activate4(f32x4.add(ld(p + 2 * gs + o, wide), ld(q + 2 * gs + o, wide)), act);
  const og = activate4(f32x4.add(ld(p + 3 * gs + o, wide), ld(q + 3 * gs + o, wide)), gateAct);
  if (zo != 0) {
    st(zo + o, i, wide);
    st(zo + gs + o, f, wide);
    st(zo + 2 * gs + o, g, wide);
    st(zo + 3 * gs + o, og, wide);
  }
  const cPrev = ld(cp + o, wide);
  let c = f32x4.add(f32x4.mul(f, cPrev), f32x4.mul(i, g));
  let h = f32x4.mul(og, activate4(c, act));
  if (m != 1) {
    c = blend(cPrev, c, m);
    h = blend(ld(hp + o, wide), h, m);
  }
  st(co + o, c, wide);
  st(ho + o, h, wide);
}

function lstmLanes(p: usize, q: usize, hp: usize, cp: usize, ho: usize, co: usize, zo: usize, hidden: i32, j: i32, m: f32, act: i32, gateAct: i32, wide: bool): void {
  lstmLanesOf(p, q, hp, cp, ho, co, zo, hidden, j, m, act, gateAct, wide);
}

/** q[j] = act(p[j] + q[j]) for j < n (a multiple of 4), and the same into z when z ≠ 0. */
// @ts-ignore: decorator
@inline function activateInPlace(p: usize, q: usize, z: usize, n: i32, act: i32): void {
  const end = <usize>n * F;
  let o: usize = 0;
  for (; o + 32 <= end; o += 32) {
    const a = activate4(f32x4.add(v128.load(p + o), v128.load(q + o)), act);
    const b = activate4(f32x4.add(v128.load(p + o, 16), v128.load(q + o, 16)), act);
    v128.store(q + o, a);
    v128.store(q + o, b, 16);
    if (z != 0) {
      v128.store(z + o, a);
      v128.store(z + o, b, 16);
    }
  }
  for (; o < end; o += 16) {
    const a = activate4(f32x4.add(v128.load(p + o), v128.load(q + o)), act);
    v128.store(q + o, a);
    if (z != 0) v128.store(z + o, a);
  }
}

/**
 * {@link lstmLanes} for the usual activations (tanh, sigmoid gates) over the first `wide` units of a row (a multiple
 * of 4), in two passes: the four gates' activations over the row (written over the products q, and into the saved
 * gates zo), then the state update. The same operations as lstmLanes (bit-identical), but each pass is a short loop
 * of independent iterations that the CPU overlaps, where one pass was a long chain per 4 units (gates → c → tanh(c)
 * → h, ~400 instructions) that left it waiting on latency; one call per row rather than one per 4 units.
 */
function lstmRowTanhSigmoid(p: usize, q: usize, hp: usize, cp: usize, ho: usize, co: usize, zo: usize, hidden: i32, wide: i32, m: f32): void {
  const gs = <usize>hidden * F;
  activateInPlace(p, q, zo, wide, ACT_SIGMOID);
  activateInPlace(p + gs, q + gs, zo == 0 ? 0 : zo + gs, wide, ACT_SIGMOID);
  activateInPlace(p + 2 * gs, q + 2 * gs, zo == 0 ? 0 : zo + 2 * gs, wide, ACT_TANH);
  activateInPlace(p + 3 * gs, q + 3 * gs, zo == 0 ? 0 : zo + 3 * gs, wide, ACT_SIGMOID);
  const end = <usize>wide * F;
  for (let o: usize = 0; o < end; o += 16) {
    const i = v128.load(q + o);
    const f = v128.load(q + gs + o);
    const g = v128.load(q + 2 * gs + o);
    const og = v128.load(q + 3 * gs + o);
    const cPrev = v128.load(cp + o);
    let c = f32x4.add(f32x4.mul(f, cPrev), f32x4.mul(i, g));
    let h = f32x4.mul(og, tanh4(c));
    if (m != 1) {
      c = blend(cPrev, c, m);
      h = blend(v128.load(hp + o), h, m);
    }
    v128.store(co + o, c);
    v128.store(ho + o, h);
  }
}

/**
 * Bytes of the gate values {@link lstmForward} saves for {@link lstmBackward} when given `zOut`: [B·T, 4H] rows
 * (original time order) at the backward's row pitch.
 */
export function lstmGatesBytes(batch: i32, steps: i32, hidden: i32): f64 {
  return <f64>batch * <f64>steps * <f64>rowPitch(4 * hidden);
}

/**
 * LSTM over a sequence: hs and cs [B, T, H] in processing order. When `zOut` ≠ 0, the activated gate values
 * (i, f, g, o) of every taken step are stored there too ({@link lstmGatesBytes}), for {@link lstmBackward}. `mask` [B, T] (1 taken, 0 carried, fractions
 * blend as in core's composite). A step with mask 0 copies the previous states exactly (its inputs are not read
 * into the state, as on cpu).
 */
export function lstmForward(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, c0: usize, mask: usize, hs: usize, cs: usize, zOut: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, backwards: bool,
): void {
  const g = 4 * hidden;
  const gBytes = <usize>g * F;
  const qPitch = rowPitch(g);
  const pPitch = rowPitch(g);
  const hBytes = <usize>hidden * F;
  const up = aligned(scratch);
  const q = up + <usize>hidden * gateStride(g);
  const pack = q + <usize>batch * qPitch;
  const work = pack + <usize>stepPackBytes(batch);
  // The input projection P = b + x·W in chunks of tc steps (chunkSteps), W packed once.
  const tc = chunkSteps(batch, steps, g);
  const pc = aligned(work + <usize>gemmWorkBytes(g));
  const wpk = pc + <usize>batch * <usize>tc * pPitch;
  const micro = wpk + <usize>inputSize * <usize>pad8(g) * F;
  packPanels(u, gBytes, F, hidden, g, up);
  packPanels(w, gBytes, F, inputSize, g, wpk);

  const seqPitch = <usize>steps * hBytes;
  const usual = act == ACT_TANH && gateAct == ACT_SIGMOID;
  const zeroH0 = allZero(h0, batch * hidden) && allFinite(u, hidden * g);
  let t0 = 0;
  let n = 0;
  for (let s = 0; s < steps; s++) {
    const t = backwards ? steps - 1 - s : s;
    if (s % tc == 0) {
      n = min(tc, steps - s);
      t0 = backwards ? steps - s - n : s;
      projectChunk(x, wpk, bias, pc, pPitch, batch, steps, t0, n, inputSize, g, micro);
    }
    const hPrev = s == 0 ? h0 : hs + <usize>(s - 1) * hBytes;
    const cPrev = s == 0 ? c0 : cs + <usize>(s - 1) * hBytes;
    const prevPitch = s == 0 ? hBytes : seqPitch;
    // h0·U is exactly +0 when h0 is all zeros (Keras' default initial state) and U finite: every product is ±0 and
    // the sums start from +0. Fill instead of multiplying (bit-identical; 1/T of the recurrent products).
    if (s == 0 && zeroH0) memory.fill(q, 0, <usize>batch * qPitch);
    else stepGemmForward(hPrev, prevPitch, up, q, qPitch, batch, hidden, g, pack);
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const hp = hPrev + <usize>bi * prevPitch;
      const cp = cPrev + <usize>bi * prevPitch;
      const ho = hs + <usize>bi * seqPitch + <usize>s * hBytes;
      const co = cs + <usize>bi * seqPitch + <usize>s * hBytes;
      if (m == 0) {
        memory.copy(ho, hp, hBytes);
        memory.copy(co, cp, hBytes);
        continue;
      }
      const pr = pc + (<usize>bi * <usize>n + <usize>(t - t0)) * pPitch;
      const qr = q + <usize>bi * qPitch;
      const zo = zOut == 0 ? 0 : zOut + (<usize>bi * <usize>steps + <usize>t) * pPitch;
      let j = 0;
      if (usual) {
        j = hidden & ~3;
        lstmRowTanhSigmoid(pr, qr, hp, cp, ho, co, zo, hidden, j, m);
      }
      for (; j < hidden; ) {
        const wide = j + 4 <= hidden;
        lstmLanes(pr, qr, hp, cp, ho, co, zo, hidden, j, m, act, gateAct, wide);
        j += wide ? 4 : 1;
      }
    }
  }
}

// ----- Weight gradients of the gated backwards

/**
 * {@link packPanels} of D [k, n] (row pitch rsb, columns contiguous) that also adds each column's values, rows in
 * order, to sums[q] (set to the first block's sums when !add): the column sums {@link columnSums} computes, in the
 * same order of additions (so bit-identical), without another pass over D.
 */
function packPanelsSummed(src: usize, rsb: usize, k: i32, n: i32, dst: usize, sums: usize, add: bool): void {
  for (let j = 0; j < n; j += 8) {
    const cols = min(8, n - j);
    const panel = dst + <usize>(j >> 3) * panelBytes(k);
    const col = src + <usize>j * F;
    const sj = sums + <usize>j * F;
    if (cols == 8) {
      let s0 = add ? v128.load(sj) : f32x4.splat(0);
      let s1 = add ? v128.load(sj, 16) : f32x4.splat(0);
      for (let p = 0; p < k; p++) {
        const from = col + <usize>p * rsb;
        const v0 = v128.load(from);
        const v1 = v128.load(from, 16);
        v128.store(panel + <usize>p * 32, v0);
        v128.store(panel + <usize>p * 32, v1, 16);
        s0 = f32x4.add(s0, v0);
        s1 = f32x4.add(s1, v1);
      }
      v128.store(sj, s0);
      v128.store(sj, s1, 16);
    } else {
      for (let l = 0; l < 8; l++) {
        let sum: f32 = l < cols && add ? load<f32>(sj + <usize>l * F) : 0;
        for (let p = 0; p < k; p++) {
          const v: f32 = l < cols ? load<f32>(col + <usize>p * rsb + <usize>l * F) : 0;
          store<f32>(panel + <usize>p * 32 + <usize>l * F, v);
          sum += v;
        }
        if (l < cols) store<f32>(sj + <usize>l * F, sum);
      }
    }
  }
}

/**
 * The weight gradients of a gated backward from one packing of each block of D [rows, n] (pitch ldd):
 * C1 [m1, n] = A1ᵀ·D, C2 [m2, split] = A2ᵀ·D[:, :split], C3 [m2, n − split] = A3ᵀ·D[:, split:] (a3 = 0: none;
 * split then a multiple of 8; m1, m2 may be 0), every A [rows, m] row-major (pitch lda), every C pitch ldc; and, when sums ≠ 0, the
 * column sums of D. The same blocks and kernel calls as one {@link gemm} and {@link columnSums} per product
 * (bit-identical), but D is packed and read once instead of once per product. `work`: gemmWorkBytes(n).
 */
function weightGrads(
  d: usize, ldd: usize, rows: i32, n: i32, sums: usize, ldc: usize,
  a1: usize, lda1: usize, m1: i32, c1: usize,
  a2: usize, lda2: usize, m2: i32, c2: usize, split: i32, a3: usize, c3: usize, work: usize,
): void {
  const micro = work + <usize>KC * <usize>pad8(min(n, NC)) * F;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    const je = j0 + nc;
    for (let p0 = 0; p0 < rows; p0 += KC) {
      const kc = min(KC, rows - p0);
      const add = p0 > 0;
      const block = d + <usize>p0 * ldd + <usize>j0 * F;
      if (sums != 0) packPanelsSummed(block, ldd, kc, nc, work, sums + <usize>j0 * F, add);
      else packPanels(block, ldd, F, kc, nc, work);
      if (m1 > 0) gemmPacked(a1 + <usize>p0 * lda1, F, lda1, work, c1 + <usize>j0 * F, ldc, m1, kc, nc, add, micro);
      if (m2 == 0) continue;
      const end2 = min(je, split);
      if (end2 > j0) gemmPacked(a2 + <usize>p0 * lda2, F, lda2, work, c2 + <usize>j0 * F, ldc, m2, kc, end2 - j0, add, micro);
      const start3 = max(j0, split);
      if (a3 != 0 && start3 < je) {
        const panels = work + <usize>((start3 - j0) >> 3) * panelBytes(kc);
        gemmPacked(a3 + <usize>p0 * lda2, F, lda2, panels, c3 + <usize>(start3 - split) * F, ldc, m2, kc, je - start3, add, micro);
      }
    }
  }
}

// ----- LSTM backward

/**
 * Bytes of scratch {@link lstmBackward} needs: Uᵀ in panels, the gate values Z and their gradient dZ [B·T, 4H8],
 * H_prev [B·T, H], the carries and g [B, H8] each, and gemm's work space.
 */
export function lstmBackwardScratchBytes(batch: i32, steps: i32, inputSize: i32, hidden: i32): f64 {
  const g = 4 * hidden;
  const rows = <f64>batch * <f64>steps;
  const hp = <f64>pad8(hidden);
  return (<f64>g * hp + rows * <f64>hidden + 3 * <f64>batch * hp) * 4 + 2 * rows * <f64>rowPitch(g) + takenInputsBytes(batch, steps, inputSize) + stepPackBytes(batch) + gemmWorkBytes(max(g, max(inputSize, hidden))) + ALIGN;
}

// @ts-ignore: decorator
@inline function lstmGradLanes(
  z: usize, dz: usize, cp: usize, dhRow: usize, dcRow: usize, carryH: usize, carryC: usize, gRow: usize, dHid: usize,
  hidden: i32, j: i32, m: f32, act: i32, gateAct: i32, wide: bool,
): void {
  const o = <usize>j * F;
  const gs = <usize>hidden * F;
  const gh = flush4(f32x4.add(ld(dhRow + o, wide), ld(carryH + o, wide)));
  const gc = flush4(f32x4.add(ld(dcRow + o, wide), ld(carryC + o, wide)));
  st(gRow + o, gh, wide);
  if (dHid != 0) st(dHid + o, gh, wide);
  const i = ld(z + o, wide);
  const f = ld(z + gs + o, wide);
  const g = ld(z + 2 * gs + o, wide);
  const og = ld(z + 3 * gs + o, wide);
  const cPrev = ld(cp + o, wide);
  const aC = activate4(f32x4.add(f32x4.mul(f, cPrev), f32x4.mul(i, g)), act);
  const mv = f32x4.splat(m);
  const dhN = f32x4.mul(mv, gh);
  const dcN = f32x4.add(f32x4.mul(mv, gc), f32x4.mul(f32x4.mul(dhN, og), slope4(aC, act)));
  st(dz + o, flush4(f32x4.mul(f32x4.mul(dcN, g), slope4(i, gateAct))), wide);
  st(dz + gs + o, flush4(f32x4.mul(f32x4.mul(dcN, cPrev), slope4(f, gateAct))), wide);
  st(dz + 2 * gs + o, flush4(f32x4.mul(f32x4.mul(dcN, i), slope4(g, act))), wide);
  st(dz + 3 * gs + o, flush4(f32x4.mul(f32x4.mul(dhN, aC), slope4(og, gateAct))), wide);
  st(carryC + o, flush4(f32x4.add(f32x4.mul(f32x4.splat(1 - m), gc), f32x4.mul(dcN, f))), wide);
}

/**
 * {@link lstmGradLanes} over one row's H columns. The usual activations (tanh, sigmoid gates) get their own copy
 * with them as constants: no per-vector branching on the activation codes (the same operations, bit-identical).
 */
function lstmGradRow(
  z: usize, dz: usize, cp: usize, dhRow: usize, dcRow: usize, carryH: usize, carryC: usize, gRow: usize, dHid: usize,
  hidden: i32, m: f32, act: i32, gateAct: i32,
): void {
  if (act == ACT_TANH && gateAct == ACT_SIGMOID) {
    for (let j = 0; j < hidden; ) {
      const wide = j + 4 <= hidden;
      lstmGradLanes(z, dz, cp, dhRow, dcRow, carryH, carryC, gRow, dHid, hidden, j, m, ACT_TANH, ACT_SIGMOID, wide);
      j += wide ? 4 : 1;
    }
    return;
  }
  for (let j = 0; j < hidden; ) {
    const wide = j + 4 <= hidden;
    lstmGradLanes(z, dz, cp, dhRow, dcRow, carryH, carryC, gRow, dHid, hidden, j, m, act, gateAct, wide);
    j += wide ? 4 : 1;
  }
}

/** Adds (1 − m)·g to the carry of rows whose mask is not 1 (the part of ∂/∂h that skips the step). */
function carrySkipped(mask: usize, steps: i32, t: i32, carry: usize, g: usize, pitch: usize, batch: i32, hidden: i32): void {
  for (let bi = 0; bi < batch; bi++) {
    const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
    if (m == 1) continue;
    const keep = f32x4.splat(1 - m);
    const cRow = carry + <usize>bi * pitch;
    const gRow = g + <usize>bi * pitch;
    // Rows are padded to 8 columns, so whole vectors cover the tail.
    for (let j = 0; j < hidden; j += 4) {
      const o = <usize>j * F;
      v128.store(cRow + o, f32x4.add(v128.load(cRow + o), f32x4.mul(keep, v128.load(gRow + o))));
    }
  }
}

/** The activated LSTM gate values Z = act(b + X·W + H_prev·U) of every row, as {@link lstmForward} computes them. */
function recomputeLstmGates(
  x: usize, w: usize, u: usize, bias: usize, hPrev: usize, z: usize, zPitch: usize, rows: i32, inputSize: i32, hidden: i32,
  act: i32, gateAct: i32, work: usize,
): void {
  const g = 4 * hidden;
  const gBytes = <usize>g * F;
  const hBytes = <usize>hidden * F;
  projectInputs(x, w, gBytes, bias, z, zPitch, rows, inputSize, g, work);
  gemm(hPrev, hBytes, F, u, gBytes, F, z, zPitch, rows, hidden, g, true, work);
  for (let r = 0; r < rows; r++) {
    const zr = z + <usize>r * zPitch;
    for (let j = 0; j < g; ) {
      const wide = j + 4 <= g;
      const a = (j / hidden) == 2 ? act : gateAct;
      // A vector may straddle two gate blocks when H % 4 ≠ 0: go lane by lane there.
      const same = wide && (j / hidden) == ((j + 3) / hidden);
      st(zr + <usize>j * F, activate4(ld(zr + <usize>j * F, same), a), same);
      j += same ? 4 : 1;
    }
  }
}

/**
 * Gradients of {@link lstmForward}: dx [B, T, I] (original time order), dW [I, 4H], dU [H, 4H], db [4H], dh0 and
 * dc0 [B, H], and when dHidden ≠ 0 the ∂loss/∂h_t reaching each step [B, T, H] (processing order, before the
 * mask). hs, cs, dh, dc [B, T, H] in processing order.
 */
export function lstmBackward(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, c0: usize, mask: usize, hs: usize, cs: usize, dh: usize, dc: usize,
  zSaved: usize, dx: usize, dw: usize, du: usize, db: usize, dh0: usize, dc0: usize, dHidden: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, backwards: bool,
): void {
  const g = 4 * hidden;
  const gBytes = <usize>g * F;
  const zPitch = rowPitch(g);
  const hBytes = <usize>hidden * F;
  const hpBytes = gateStride(hidden);
  const rows = batch * steps;
  const ut = aligned(scratch); // Uᵀ [4H, H] in panels
  const zs = ut + <usize>g * hpBytes; // gate values [B·T, 4H8] (unused when the forward saved them)
  const dz = zs + <usize>rows * zPitch;
  const z = zSaved != 0 ? zSaved : zs;
  const hPrev = dz + <usize>rows * zPitch; // [B·T, H]
  const carryH = hPrev + <usize>rows * hBytes; // [B, H8]
  const carryC = carryH + <usize>batch * hpBytes;
  const gBuf = carryC + <usize>batch * hpBytes;
  const xs = gBuf + <usize>batch * hpBytes; // takenInputs
  const pack = xs + <usize>takenInputsBytes(batch, steps, inputSize);
  const work = pack + <usize>stepPackBytes(batch);
  x = takenInputs(x, mask, rows, inputSize, xs);
  packPanels(u, F, gBytes, g, hidden, ut); // Uᵀ(p, q) = U[q, p]
  previousStates(h0, hs, hPrev, batch, steps, hidden, backwards);
  // C_prev is read row by row in the step loop, from cs or c0 in place; only the gemms need H_prev as a matrix.
  // Z = b + X·W + H_prev·U for every step, then the activations in place (unless the forward saved Z).
  if (zSaved == 0) recomputeLstmGates(x, w, u, bias, hPrev, z, zPitch, rows, inputSize, hidden, act, gateAct, work);
  memory.fill(carryH, 0, <usize>batch * hpBytes);  memory.fill(carryC, 0, <usize>batch * hpBytes);

  const seqPitch = <usize>steps * hBytes;
  const dzPitch = <usize>steps * zPitch;
  for (let s = steps - 1; s >= 0; s--) {
    const t = backwards ? steps - 1 - s : s;
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const row = <usize>bi * <usize>steps + <usize>t;
      const dRow = <usize>bi * seqPitch + <usize>s * hBytes;
      const zr = z + row * zPitch;
      const dzr = dz + row * zPitch;
      const cH = carryH + <usize>bi * hpBytes;
      const cC = carryC + <usize>bi * hpBytes;
      const gr = gBuf + <usize>bi * hpBytes;
      const dHid = dHidden == 0 ? 0 : dHidden + dRow;
      if (m == 0) {
        // Skipped step: everything flows past it.
        for (let j = 0; j < hidden; j++) {
          const o = <usize>j * F;
          const gh = load<f32>(dh + dRow + o) + load<f32>(cH + o);
          store<f32>(gr + o, gh);
          if (dHid != 0) store<f32>(dHid + o, gh);
          store<f32>(cC + o, load<f32>(dc + dRow + o) + load<f32>(cC + o));
        }
        memory.fill(dzr, 0, gBytes);
        continue;
      }
      const cp = s == 0 ? c0 + <usize>bi * hBytes : cs + dRow - hBytes;
      lstmGradRow(zr, dzr, cp, dh + dRow, dc + dRow, cH, cC, gr, dHid, hidden, m, act, gateAct);
    }
    // carry_h = dz_s·Uᵀ (+ (1 − m)·g_s on masked rows).
    stepGemm(dz + <usize>t * zPitch, dzPitch, ut, carryH, hpBytes, batch, g, hidden, false, pack);
    carrySkipped(mask, steps, t, carryH, gBuf, hpBytes, batch, hidden);
  }
  for (let bi = 0; bi < batch; bi++) {
    memory.copy(dh0 + <usize>bi * hBytes, carryH + <usize>bi * hpBytes, hBytes);
    memory.copy(dc0 + <usize>bi * hBytes, carryC + <usize>bi * hpBytes, hBytes);
  }
  // dW = Xᵀ·dZ, dU = H_prevᵀ·dZ and db from one packing of dZ; dx = dZ·Wᵀ.
  weightGrads(dz, zPitch, rows, g, db, gBytes, x, <usize>inputSize * F, inputSize, dw, hPrev, hBytes, hidden, du, g, 0, 0, work);
  gemm(dz, zPitch, F, w, F, gBytes, dx, <usize>inputSize * F, rows, g, inputSize, false, work);
}

// ----- GRU forward

/**
 * Bytes of scratch {@link gruForward} needs: U in panels (resetAfter false: U_zr and U_h apart), P [B·T, 3H], the
 * step's products [B, 3H8] and r⊙h [B, H], gemm work.
 */
export function gruForwardScratchBytes(batch: i32, steps: i32, inputSize: i32, hidden: i32): f64 {
  const g = 3 * hidden;
  const panels = <f64>hidden * (<f64>pad8(2 * hidden) + <f64>pad8(hidden) + <f64>pad8(g));
  return (panels + <f64>batch * <f64>hidden) * 4 + 2 * <f64>batch * <f64>rowPitch(g) + stepPackBytes(batch) + gemmWorkBytes(g) + chunkBytes(batch, steps, inputSize, g) + ALIGN;
}

/**
 * resetAfter: h' = ĥ + z⊙(h − ĥ) with z = σ(Pz + Qz + b'z), r = σ(Pr + Qr + b'r), ĥ = act(Ph + r⊙(Qh + b'h)).
 * Otherwise (qh = (r⊙h)·U_h, no recurrent bias): z = σ(Pz + Qz), ĥ = act(Ph + qh).
 */
// @ts-ignore: decorator
@inline function gruLanesOf(p: usize, q: usize, qh: usize, rb: usize, hp: usize, ho: usize, zo: usize, ao: usize, hidden: i32, j: i32, m: f32, act: i32, gateAct: i32, resetAfter: bool, wide: bool): void {
  const o = <usize>j * F;
  const gs = <usize>hidden * F;
  let zPre = f32x4.add(ld(p + o, wide), ld(q + o, wide));
  let cand: v128;
  if (resetAfter) {
    zPre = f32x4.add(zPre, ld(rb + o, wide));
    const r = activate4(f32x4.add(f32x4.add(ld(p + gs + o, wide), ld(q + gs + o, wide)), ld(rb + gs + o, wide)), gateAct);
    const inner = f32x4.add(ld(q + 2 * gs + o, wide), ld(rb + 2 * gs + o, wide));
    cand = activate4(f32x4.add(ld(p + 2 * gs + o, wide), f32x4.mul(r, inner)), act);
    if (zo != 0) {
      st(zo + gs + o, r, wide);
      st(ao + 2 * gs + o, inner, wide);
    }
  } else {
    cand = activate4(f32x4.add(ld(p + 2 * gs + o, wide), ld(qh + o, wide)), act);
  }
  const z = activate4(zPre, gateAct);
  if (zo != 0) {
    st(zo + o, z, wide);
    st(zo + 2 * gs + o, cand, wide);
  }
  const hPrev = ld(hp + o, wide);
  let h = f32x4.add(cand, f32x4.mul(z, f32x4.sub(hPrev, cand)));
  if (m != 1) h = blend(hPrev, h, m);
  st(ho + o, h, wide);
}

function gruLanes(p: usize, q: usize, qh: usize, rb: usize, hp: usize, ho: usize, zo: usize, ao: usize, hidden: i32, j: i32, m: f32, act: i32, gateAct: i32, resetAfter: bool, wide: bool): void {
  gruLanesOf(p, q, qh, rb, hp, ho, zo, ao, hidden, j, m, act, gateAct, resetAfter, wide);
}

/** {@link gruLanes} for tanh and sigmoid gates on whole vectors, resolved at compile time (see lstmLanesTanhSigmoid). */
function gruLanesTanhSigmoid(p: usize, q: usize, qh: usize, rb: usize, hp: usize, ho: usize, zo: usize, ao: usize, hidden: i32, j: i32, m: f32, resetAfter: bool): void {
  gruLanesOf(p, q, qh, rb, hp, ho, zo, ao, hidden, j, m, ACT_TANH, ACT_SIGMOID, resetAfter, true);
}

/**
 * Bytes of the values {@link gruForward} saves for {@link gruBackward} when given `saveOut`: the gate values
 * [z, r, ĥ] of every row at the backward's pitch, then resetAfter: rows whose ĥ block holds Qh + b'h, otherwise
 * r⊙h_prev [B·T, H] (zero on skipped steps, as the backward's recomputation from zeroed inputs never feeds it).
 */
export function gruGatesBytes(batch: i32, steps: i32, hidden: i32): f64 {
  return 2 * <f64>batch * <f64>steps * <f64>rowPitch(3 * hidden);
}

/**
 * GRU over a sequence: hs [B, T, H] in processing order. bias: [3H], or [2, 3H] (input row, recurrent row) with
 * resetAfter. Masks as {@link lstmForward}. When `saveOut` ≠ 0 the values of {@link gruGatesBytes} are stored
 * there for every taken step.
 */
export function gruForward(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, mask: usize, hs: usize, saveOut: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, resetAfter: bool, backwards: bool,
): void {
  const g = 3 * hidden;
  const gBytes = <usize>g * F;
  const hBytes = <usize>hidden * F;
  const qPitch = rowPitch(g);
  const pPitch = rowPitch(g);
  const up = aligned(scratch); // resetAfter: U; else U_zr then U_h
  const uh = up + <usize>hidden * gateStride(2 * hidden);
  const q = up + <usize>hidden * (gateStride(2 * hidden) + gateStride(hidden) + gateStride(g));
  const qh = q + <usize>batch * qPitch;
  const rh = qh + <usize>batch * qPitch; // [B, H]
  const pack = rh + <usize>batch * hBytes;
  const work = pack + <usize>stepPackBytes(batch);
  // The input projection P = b + x·W in chunks of tc steps (chunkSteps), W packed once.
  const tc = chunkSteps(batch, steps, g);
  const pc = aligned(work + <usize>gemmWorkBytes(g));
  const wpk = pc + <usize>batch * <usize>tc * pPitch;
  const micro = wpk + <usize>inputSize * <usize>pad8(g) * F;
  packPanels(w, gBytes, F, inputSize, g, wpk);
  if (resetAfter) packPanels(u, gBytes, F, hidden, g, up);
  else {
    packPanels(u, gBytes, F, hidden, 2 * hidden, up);
    packPanels(u + <usize>(2 * hidden) * F, gBytes, F, hidden, hidden, uh);
  }
  const rb = resetAfter ? bias + gBytes : 0;
  const aux = saveOut + <usize>batch * <usize>steps * pPitch;
  const usual = act == ACT_TANH && gateAct == ACT_SIGMOID;

  const seqPitch = <usize>steps * hBytes;
  let t0 = 0;
  let n = 0;
  for (let s = 0; s < steps; s++) {
    const t = backwards ? steps - 1 - s : s;
    if (s % tc == 0) {
      n = min(tc, steps - s);
      t0 = backwards ? steps - s - n : s;
      projectChunk(x, wpk, bias, pc, pPitch, batch, steps, t0, n, inputSize, g, micro);
    }
    const hPrev = s == 0 ? h0 : hs + <usize>(s - 1) * hBytes;
    const prevPitch = s == 0 ? hBytes : seqPitch;
    if (resetAfter) stepGemmForward(hPrev, prevPitch, up, q, qPitch, batch, hidden, g, pack);
    else {
      stepGemmForward(hPrev, prevPitch, up, q, qPitch, batch, hidden, 2 * hidden, pack);
      // r⊙h for every row, then (r⊙h)·U_h.
      for (let bi = 0; bi < batch; bi++) {
        const pr = pc + (<usize>bi * <usize>n + <usize>(t - t0)) * pPitch + <usize>hidden * F;
        const qr = q + <usize>bi * qPitch + <usize>hidden * F;
        const hp = hPrev + <usize>bi * prevPitch;
        const out = rh + <usize>bi * hBytes;
        const row = <usize>bi * <usize>steps + <usize>t;
        const taken = saveOut != 0 && load<f32>(mask + row * F) != 0;
        for (let j = 0; j < hidden; ) {
          const wide = j + 4 <= hidden;
          const o = <usize>j * F;
          const r = activate4(f32x4.add(ld(pr + o, wide), ld(qr + o, wide)), gateAct);
          const v = f32x4.mul(r, ld(hp + o, wide));
          st(out + o, v, wide);
          if (taken) {
            st(saveOut + row * pPitch + <usize>hidden * F + o, r, wide);
            st(aux + row * hBytes + o, v, wide);
          }
          j += wide ? 4 : 1;
        }
        if (saveOut != 0 && !taken) {
          // The backward reads r and r⊙h of skipped rows too (times a zero gradient): keep them finite.
          memory.fill(saveOut + row * pPitch + <usize>hidden * F, 0, hBytes);
          memory.fill(aux + row * hBytes, 0, hBytes);
        }
      }
      stepGemmForward(rh, hBytes, uh, qh, qPitch, batch, hidden, hidden, pack);
    }
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const hp = hPrev + <usize>bi * prevPitch;
      const ho = hs + <usize>bi * seqPitch + <usize>s * hBytes;
      if (m == 0) {
        memory.copy(ho, hp, hBytes);
        continue;
      }
      const pr = pc + (<usize>bi * <usize>n + <usize>(t - t0)) * pPitch;
      const qr = q + <usize>bi * qPitch;
      const qhr = qh + <usize>bi * qPitch;
      const row = <usize>bi * <usize>steps + <usize>t;
      const zo = saveOut == 0 ? 0 : saveOut + row * pPitch;
      const ao = saveOut == 0 ? 0 : aux + row * pPitch;
      for (let j = 0; j < hidden; ) {
        const wide = j + 4 <= hidden;
        if (wide && usual) gruLanesTanhSigmoid(pr, qr, qhr, rb, hp, ho, zo, ao, hidden, j, m, resetAfter);
        else gruLanes(pr, qr, qhr, rb, hp, ho, zo, ao, hidden, j, m, act, gateAct, resetAfter, wide);
        j += wide ? 4 : 1;
      }
    }
  }
}

// ----- GRU backward

/**
 * Bytes of scratch {@link gruBackward} needs: Uᵀ in panels (resetAfter false: U_zrᵀ and U_hᵀ), the gate values P
 * and recurrent products Q, their gradients dP and dQ [B·T, 3H8], H_prev and r⊙H_prev [B·T, H], the carry, g and
 * d(r⊙h) [B, H8], gemm work.
 */
export function gruBackwardScratchBytes(batch: i32, steps: i32, inputSize: i32, hidden: i32): f64 {
  const g = 3 * hidden;
  const rows = <f64>batch * <f64>steps;
  const hp = <f64>pad8(hidden);
  return (<f64>g * hp + 2 * rows * <f64>hidden + 3 * <f64>batch * hp) * 4 + 4 * rows * <f64>rowPitch(g) + takenInputsBytes(batch, steps, inputSize) + stepPackBytes(batch) + gemmWorkBytes(max(g, max(inputSize, hidden))) + ALIGN;
}

/**
 * Rows of P and Q after the batched products: P becomes [z, r, ĥ]; Q keeps the recurrent product of the candidate
 * (resetAfter: h·U_h + b'_h, read by dr; otherwise (r⊙h)·U_h). rh: r⊙h_prev (resetAfter false only).
 */
function gruGates(p: usize, q: usize, hPrev: usize, rh: usize, rb: usize, hidden: i32, j: i32, act: i32, gateAct: i32, resetAfter: bool, wide: bool): void {
  const o = <usize>j * F;
  const gs = <usize>hidden * F;
  let zPre = f32x4.add(ld(p + o, wide), ld(q + o, wide));
  let rPre = f32x4.add(ld(p + gs + o, wide), ld(q + gs + o, wide));
  if (resetAfter) {
    zPre = f32x4.add(zPre, ld(rb + o, wide));
    rPre = f32x4.add(rPre, ld(rb + gs + o, wide));
    const inner = f32x4.add(ld(q + 2 * gs + o, wide), ld(rb + 2 * gs + o, wide));
    st(q + 2 * gs + o, inner, wide);
    const r = activate4(rPre, gateAct);
    st(p + gs + o, r, wide);
    st(p + 2 * gs + o, activate4(f32x4.add(ld(p + 2 * gs + o, wide), f32x4.mul(r, inner)), act), wide);
  } else {
    st(p + 2 * gs + o, activate4(f32x4.add(ld(p + 2 * gs + o, wide), ld(q + 2 * gs + o, wide)), act), wide);
  }
  st(p + o, activate4(zPre, gateAct), wide);
}

/**
 * Per row of a step: g = dh + carry; dz, dâ (and resetAfter: dr) into dP, resetAfter: dQ = [dz, dr, dâ⊙r];
 * carry ← (1 − m)·g + m·g⊙z (the recurrent products' share is added by the caller's gemms).
 */
// @ts-ignore: decorator
@inline function gruGradLanes(
  p: usize, q: usize, hp: usize, dhRow: usize, carry: usize, dHid: usize, dp: usize, dq: usize,
  hidden: i32, j: i32, m: f32, act: i32, gateAct: i32, resetAfter: bool, wide: bool,
): void {
  const o = <usize>j * F;
  const gs = <usize>hidden * F;
  const g = flush4(f32x4.add(ld(dhRow + o, wide), ld(carry + o, wide)));
  if (dHid != 0) st(dHid + o, g, wide);
  const gNew = f32x4.mul(f32x4.splat(m), g);
  const z = ld(p + o, wide);
  const cand = ld(p + 2 * gs + o, wide);
  const dz = flush4(f32x4.mul(f32x4.mul(gNew, f32x4.sub(ld(hp + o, wide), cand)), slope4(z, gateAct)));
  const da = flush4(f32x4.mul(f32x4.mul(gNew, f32x4.sub(f32x4.splat(1), z)), slope4(cand, act)));
  st(dp + o, dz, wide);
  st(dp + 2 * gs + o, da, wide);
  if (resetAfter) {
    const r = ld(p + gs + o, wide);
    const dr = flush4(f32x4.mul(f32x4.mul(da, ld(q + 2 * gs + o, wide)), slope4(r, gateAct)));
    st(dp + gs + o, dr, wide);
    st(dq + o, dz, wide);
    st(dq + gs + o, dr, wide);
    st(dq + 2 * gs + o, f32x4.mul(da, r), wide);
  }
  st(carry + o, f32x4.add(f32x4.mul(f32x4.splat(1 - m), g), f32x4.mul(gNew, z)), wide);
}

/** {@link gruGradLanes} over one row's H columns, with a constant-activation copy for tanh and sigmoid gates (as {@link lstmGradRow}). */
function gruGradRow(
  p: usize, q: usize, hp: usize, dhRow: usize, carry: usize, dHid: usize, dp: usize, dq: usize,
  hidden: i32, m: f32, act: i32, gateAct: i32, resetAfter: bool,
): void {
  if (act == ACT_TANH && gateAct == ACT_SIGMOID) {
    for (let j = 0; j < hidden; ) {
      const wide = j + 4 <= hidden;
      gruGradLanes(p, q, hp, dhRow, carry, dHid, dp, dq, hidden, j, m, ACT_TANH, ACT_SIGMOID, resetAfter, wide);
      j += wide ? 4 : 1;
    }
    return;
  }
  for (let j = 0; j < hidden; ) {
    const wide = j + 4 <= hidden;
    gruGradLanes(p, q, hp, dhRow, carry, dHid, dp, dq, hidden, j, m, act, gateAct, resetAfter, wide);
    j += wide ? 4 : 1;
  }
}

/** P (activated [z, r, ĥ]), Q and r⊙H_prev of every row, as {@link gruForward} computes them (see gruBackward). */
function recomputeGruGates(
  x: usize, w: usize, u: usize, bias: usize, hPrev: usize, p: usize, q: usize, rh: usize, pPitch: usize, rows: i32,
  inputSize: i32, hidden: i32, act: i32, gateAct: i32, resetAfter: bool, work: usize,
): void {
  const g = 3 * hidden;
  const gBytes = <usize>g * F;
  const hBytes = <usize>hidden * F;
  const gs = hBytes;
  projectInputs(x, w, gBytes, bias, p, pPitch, rows, inputSize, g, work);
  const rb = resetAfter ? bias + gBytes : 0;
  if (resetAfter) gemm(hPrev, hBytes, F, u, gBytes, F, q, pPitch, rows, hidden, g, false, work);
  else {
    gemm(hPrev, hBytes, F, u, gBytes, F, q, pPitch, rows, hidden, 2 * hidden, false, work);
    for (let r = 0; r < rows; r++) {
      const pr = p + <usize>r * pPitch + gs;
      const qr = q + <usize>r * pPitch + gs;
      const hr = hPrev + <usize>r * hBytes;
      const out = rh + <usize>r * hBytes;
      for (let j = 0; j < hidden; ) {
        const wide = j + 4 <= hidden;
        const o = <usize>j * F;
        const rv = activate4(f32x4.add(ld(pr + o, wide), ld(qr + o, wide)), gateAct);
        st(pr + o, rv, wide); // P's r block now holds r
        st(out + o, f32x4.mul(rv, ld(hr + o, wide)), wide);
        j += wide ? 4 : 1;
      }
    }
    gemm(rh, hBytes, F, u + <usize>(2 * hidden) * F, gBytes, F, q + <usize>(2 * hidden) * F, pPitch, rows, hidden, hidden, false, work);
  }
  for (let r = 0; r < rows; r++) {
    const pr = p + <usize>r * pPitch;
    const qr = q + <usize>r * pPitch;
    for (let j = 0; j < hidden; ) {
      const wide = j + 4 <= hidden;
      gruGates(pr, qr, hPrev + <usize>r * hBytes, rh, rb, hidden, j, act, gateAct, resetAfter, wide);
      j += wide ? 4 : 1;
    }
  }
}

/**
 * Gradients of {@link gruForward}: dx [B, T, I], dW [I, 3H], dU [H, 3H], db (the bias's shape), dh0 [B, H], and
 * when dHidden ≠ 0 the ∂loss/∂h_t reaching each step [B, T, H] (processing order).
 */
export function gruBackward(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, mask: usize, hs: usize, dh: usize, saved: usize,
  dx: usize, dw: usize, du: usize, db: usize, dh0: usize, dHidden: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, resetAfter: bool, backwards: bool,
): void {
  const g = 3 * hidden;
  const gBytes = <usize>g * F;
  const pPitch = rowPitch(g);
  const hBytes = <usize>hidden * F;
  const hpBytes = gateStride(hidden);
  const gs = hBytes;
  const rows = batch * steps;
  const ut = aligned(scratch); // resetAfter: Uᵀ [3H, H]; else U_zrᵀ [2H, H] then U_hᵀ [H, H]
  const uht = ut + <usize>(2 * hidden) * hpBytes;
  const ps = ut + <usize>g * hpBytes;
  const qs = ps + <usize>rows * pPitch;
  const dp = qs + <usize>rows * pPitch;
  const dq = dp + <usize>rows * pPitch;
  const hPrev = dq + <usize>rows * pPitch;
  const rhs = hPrev + <usize>rows * hBytes;
  const carry = rhs + <usize>rows * hBytes;
  // The forward's saved values (gruGatesBytes) stand in for P, Q's ĥ block (resetAfter) and r⊙H_prev.
  const aux = saved + <usize>rows * pPitch;
  const p = saved != 0 ? saved : ps;
  const q = saved != 0 && resetAfter ? aux : qs;
  const rh = saved != 0 && !resetAfter ? aux : rhs;
  const gBuf = carry + <usize>batch * hpBytes;
  const dRh = gBuf + <usize>batch * hpBytes;
  const xs = dRh + <usize>batch * hpBytes; // takenInputs
  const pack = xs + <usize>takenInputsBytes(batch, steps, inputSize);
  const work = pack + <usize>stepPackBytes(batch);
  x = takenInputs(x, mask, rows, inputSize, xs);
  // Uᵀ(p, q) = U[q, p]; resetAfter false: U_zrᵀ (its first 2H rows) and U_hᵀ packed apart.
  if (resetAfter) packPanels(u, F, gBytes, g, hidden, ut);
  else {
    packPanels(u, F, gBytes, 2 * hidden, hidden, ut);
    packPanels(u + <usize>(2 * hidden) * F, F, gBytes, hidden, hidden, uht);
  }
  previousStates(h0, hs, hPrev, batch, steps, hidden, backwards);
  if (saved == 0) recomputeGruGates(x, w, u, bias, hPrev, p, q, rh, pPitch, rows, inputSize, hidden, act, gateAct, resetAfter, work);
  memory.fill(carry, 0, <usize>batch * hpBytes);

  const seqPitch = <usize>steps * hBytes;
  const stepPitch = <usize>steps * pPitch;
  for (let s = steps - 1; s >= 0; s--) {
    const t = backwards ? steps - 1 - s : s;
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const row = <usize>bi * <usize>steps + <usize>t;
      const dRow = <usize>bi * seqPitch + <usize>s * hBytes;
      const cr = carry + <usize>bi * hpBytes;
      const dHid = dHidden == 0 ? 0 : dHidden + dRow;
      const dpr = dp + row * pPitch;
      if (m == 0) {
        for (let j = 0; j < hidden; j++) {
          const o = <usize>j * F;
          const v = load<f32>(dh + dRow + o) + load<f32>(cr + o);
          store<f32>(cr + o, v);
          if (dHid != 0) store<f32>(dHid + o, v);
        }
        memory.fill(dpr, 0, gBytes);
        if (resetAfter) memory.fill(dq + row * pPitch, 0, gBytes);
        continue;
      }
      gruGradRow(p + row * pPitch, q + row * pPitch, hPrev + row * hBytes, dh + dRow, cr, dHid, dpr, dq + row * pPitch, hidden, m, act, gateAct, resetAfter);
    }
    if (resetAfter) {
      // carry += dQ_s·Uᵀ.
      stepGemm(dq + <usize>t * pPitch, stepPitch, ut, carry, hpBytes, batch, g, hidden, true, pack);
    } else {
      // d(r⊙h) = dâ·U_hᵀ; dr = d(r⊙h)⊙h⊙σ'(r); carry += d(r⊙h)⊙r + [dz, dr]·U_zrᵀ.
      stepGemm(dp + <usize>t * pPitch + <usize>(2 * hidden) * F, stepPitch, uht, dRh, hpBytes, batch, hidden, hidden, false, pack);
      for (let bi = 0; bi < batch; bi++) {
        const row = <usize>bi * <usize>steps + <usize>t;
        const pr = p + row * pPitch;
        const dpr = dp + row * pPitch;
        const hr = hPrev + row * hBytes;
        const dr = dRh + <usize>bi * hpBytes;
        const cr = carry + <usize>bi * hpBytes;
        for (let j = 0; j < hidden; ) {
          const wide = j + 4 <= hidden;
          const o = <usize>j * F;
          const r = ld(pr + gs + o, wide);
          const d = ld(dr + o, wide);
          st(dpr + gs + o, flush4(f32x4.mul(f32x4.mul(d, ld(hr + o, wide)), slope4(r, gateAct))), wide);
          st(cr + o, f32x4.add(ld(cr + o, wide), f32x4.mul(d, r)), wide);
          j += wide ? 4 : 1;
        }
      }
      stepGemm(dp + <usize>t * pPitch, stepPitch, ut, carry, hpBytes, batch, 2 * hidden, hidden, true, pack);
    }
  }
  for (let bi = 0; bi < batch; bi++) memory.copy(dh0 + <usize>bi * hBytes, carry + <usize>bi * hpBytes, hBytes);

  const xPitch = <usize>inputSize * F;
  if (resetAfter) {
    // dW = Xᵀ·dP with db's input half from one packing of dP; dU = H_prevᵀ·dQ with its recurrent half from one of dQ.
    weightGrads(dp, pPitch, rows, g, db, gBytes, x, xPitch, inputSize, dw, 0, 0, 0, 0, g, 0, 0, work);
    weightGrads(dq, pPitch, rows, g, db + gBytes, gBytes, hPrev, hBytes, hidden, du, 0, 0, 0, 0, g, 0, 0, work);
  } else if (((2 * hidden) & 7) == 0) {
    // dW = Xᵀ·dP, dU = [H_prevᵀ·dP_zr | (r⊙H_prev)ᵀ·dP_h] and db from one packing of dP.
    weightGrads(dp, pPitch, rows, g, db, gBytes, x, xPitch, inputSize, dw, hPrev, hBytes, hidden, du, 2 * hidden, rh, du + <usize>(2 * hidden) * F, work);
  } else {
    // 2H not a multiple of 8: U's two blocks do not fall on panel boundaries.
    weightGrads(dp, pPitch, rows, g, db, gBytes, x, xPitch, inputSize, dw, hPrev, hBytes, hidden, du, 2 * hidden, 0, 0, work);
    gemm(rh, F, hBytes, dp + <usize>(2 * hidden) * F, pPitch, F, du + <usize>(2 * hidden) * F, gBytes, hidden, rows, hidden, false, work);
  }
  gemm(dp, pPitch, F, w, F, gBytes, dx, xPitch, rows, g, inputSize, false, work);
}

// ---------------------------------------------------------------------------------------------------------
// Column split: kernel threads that share every batch row and split the hidden units instead (for batches too
// small to split by 4-row tiles, on threads of unequal speed). Each thread owns units [j0, j1) (multiples of 8, so
// that every gate block's columns start on a panel) and computes, for all B rows, its units' gate columns; a spin
// barrier after each step makes the step's full state visible before the next step's product reads it. Every
// column is summed in the same order as in the single-threaded kernels, so the results are bitwise identical.
//
// ctl (i32s in the shared memory, zeroed by the caller): [0] arrivals, [1] abort flag, [2 + k] how many barriers
// thread k reached last (a diagnostic: that thread was the step's bottleneck).

/** Spins before a barrier gives up on a thread that never arrives (it died): seconds on current CPUs. */
const SPIN_LIMIT: i32 = 0x7fffffff;
/**
 * Spins (~1 ms or more) after which a worker (index > 0) sleeps on the arrivals counter instead (memory.atomic.wait,
 * 1 ms at a time): with more threads than free cores a spinning thread would hold the core the late one needs. Not
 * sooner: waking costs tens of µs, a step's usual wait is a few. The main thread (index 0) may not block in a
 * browser: it keeps spinning.
 */
const SPINS_BEFORE_WAIT: i32 = 1 << 20;

/**
 * Waits until all `threads` reached barrier number `gen` (1, 2, … within a call). False when the call was aborted
 * (another thread gave up, or this one spun SPIN_LIMIT times: it then sets the abort flag for the others).
 */
function columnBarrier(ctl: usize, threads: i32, gen: i32, index: i32): bool {
  if (ASC_FEATURE_THREADS) {
    const target = threads * gen;
    if (atomic.add<i32>(ctl, 1) + 1 == target) {
      const late = ctl + 8 + <usize>index * 4;
      store<i32>(late, load<i32>(late) + 1);
      atomic.notify(ctl, threads);
      return atomic.load<i32>(ctl, 4) == 0;
    }
    let spins = 0;
    for (;;) {
      const arrived = atomic.load<i32>(ctl);
      if (arrived >= target) break;
      if (atomic.load<i32>(ctl, 4) != 0) return false;
      if (++spins == SPIN_LIMIT) {
        atomic.store<i32>(ctl, 1, 4);
        atomic.notify(ctl, threads);
        return false;
      }
      if (index > 0 && spins >= SPINS_BEFORE_WAIT) {
        memory.atomic.wait32(ctl, arrived, 1000000);
        spins += 1 << 12; // ~1 ms asleep counts as that much spinning towards the limit
      }
    }
    return atomic.load<i32>(ctl, 4) == 0;
  }
  return threads == 1;
}

/**
 * Packs the columns [c + j0, c + j1) of every gate block c = 0, n, 2n, … (`blocks` of them) of B(p, q) = src + p·rsb
 * + q·csb, p < k, into the panels where {@link packPanels} of all columns puts them. j0 and n are multiples of 8.
 */
function packGateColumns(src: usize, rsb: usize, csb: usize, k: i32, n: i32, blocks: i32, j0: i32, j1: i32, dst: usize): void {
  for (let b = 0; b < blocks; b++) {
    const c = b * n + j0;
    packPanels(src + <usize>c * csb, rsb, csb, k, j1 - j0, dst + <usize>(c >> 3) * panelBytes(k));
  }
}

/** {@link projectChunk} of the columns [c + j0, c + j1) of each of `blocks` gate blocks c = 0, H, 2H, …. */
function projectGateColumns(
  x: usize, wpk: usize, bias: usize, pc: usize, pPitch: usize, batch: i32, steps: i32, t0: i32, n: i32, inputSize: i32,
  hidden: i32, blocks: i32, j0: i32, j1: i32, micro: usize,
): void {
  for (let b = 0; b < blocks; b++) {
    const c = b * hidden + j0;
    projectChunk(x, wpk + <usize>(c >> 3) * panelBytes(inputSize), bias + <usize>c * F, pc + <usize>c * F, pPitch, batch, steps, t0, n, inputSize, j1 - j0, micro);
  }
}

/**
 * {@link lstmForward} for the units [j0, j1) of thread `index` of `threads` (see the column split above). Every
 * thread passes the same tensors and its own scratch (lstmForwardScratchBytes). Returns 0, or −1 when the call
 * was aborted (a thread did not reach a barrier).
 */
export function lstmForwardColumns(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, c0: usize, mask: usize, hs: usize, cs: usize, zOut: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, backwards: bool,
  j0: i32, j1: i32, ctl: usize, threads: i32, index: i32,
): i32 {
  const g = 4 * hidden;
  const cols = j1 - j0;
  const qPitch = rowPitch(g);
  const pPitch = rowPitch(g);
  const hBytes = <usize>hidden * F;
  const up = aligned(scratch);
  const q = up + <usize>hidden * gateStride(g);
  const pack = q + <usize>batch * qPitch;
  const work = pack + <usize>stepPackBytes(batch);
  const tc = chunkSteps(batch, steps, g);
  const pc = aligned(work + <usize>gemmWorkBytes(g));
  const wpk = pc + <usize>batch * <usize>tc * pPitch;
  const micro = wpk + <usize>inputSize * <usize>pad8(g) * F;
  packGateColumns(u, <usize>g * F, F, hidden, hidden, 4, j0, j1, up);
  packGateColumns(w, <usize>g * F, F, inputSize, hidden, 4, j0, j1, wpk);

  const seqPitch = <usize>steps * hBytes;
  const usual = act == ACT_TANH && gateAct == ACT_SIGMOID;
  const zeroH0 = allZero(h0, batch * hidden) && allFinite(u, hidden * g);
  const own = <usize>j0 * F;
  const ownBytes = <usize>cols * F;
  let t0 = 0;
  let n = 0;
  for (let s = 0; s < steps; s++) {
    const t = backwards ? steps - 1 - s : s;
    if (s % tc == 0) {
      n = min(tc, steps - s);
      t0 = backwards ? steps - s - n : s;
      projectGateColumns(x, wpk, bias, pc, pPitch, batch, steps, t0, n, inputSize, hidden, 4, j0, j1, micro);
    }
    const hPrev = s == 0 ? h0 : hs + <usize>(s - 1) * hBytes;
    const cPrev = s == 0 ? c0 : cs + <usize>(s - 1) * hBytes;
    const prevPitch = s == 0 ? hBytes : seqPitch;
    for (let b = 0; b < 4; b++) {
      const c = b * hidden + j0;
      if (s == 0 && zeroH0) {
        for (let bi = 0; bi < batch; bi++) memory.fill(q + <usize>bi * qPitch + <usize>c * F, 0, ownBytes);
      } else {
        stepGemmForward(hPrev, prevPitch, up + <usize>(c >> 3) * panelBytes(hidden), q + <usize>c * F, qPitch, batch, hidden, cols, pack);
      }
    }
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const hp = hPrev + <usize>bi * prevPitch + own;
      const cp = cPrev + <usize>bi * prevPitch + own;
      const ho = hs + <usize>bi * seqPitch + <usize>s * hBytes + own;
      const co = cs + <usize>bi * seqPitch + <usize>s * hBytes + own;
      if (m == 0) {
        memory.copy(ho, hp, ownBytes);
        memory.copy(co, cp, ownBytes);
        continue;
      }
      const pr = pc + (<usize>bi * <usize>n + <usize>(t - t0)) * pPitch + own;
      const qr = q + <usize>bi * qPitch + own;
      const zo = zOut == 0 ? 0 : zOut + (<usize>bi * <usize>steps + <usize>t) * pPitch + own;
      if (usual) lstmRowTanhSigmoid(pr, qr, hp, cp, ho, co, zo, hidden, cols, m);
      else for (let j = 0; j < cols; j += 4) lstmLanes(pr, qr, hp, cp, ho, co, zo, hidden, j, m, act, gateAct, true);
    }
    if (!columnBarrier(ctl, threads, s + 1, index)) return -1;
  }
  return 0;
}

/**
 * {@link gruForward} for the units [j0, j1) of thread `index` of `threads` (see the column split above): its own
 * scratch of gruForwardScratchBytes, and (resetAfter false) `shared` [B, H] floats for r⊙h_prev, which every
 * thread's candidate product reads whole: a second barrier per step. Returns 0, or −1 when the call was aborted.
 */
export function gruForwardColumns(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, mask: usize, hs: usize, saveOut: usize, shared: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, resetAfter: bool, backwards: bool,
  j0: i32, j1: i32, ctl: usize, threads: i32, index: i32,
): i32 {
  const g = 3 * hidden;
  const gBytes = <usize>g * F;
  const hBytes = <usize>hidden * F;
  const qPitch = rowPitch(g);
  const pPitch = rowPitch(g);
  const cols = j1 - j0;
  const own = <usize>j0 * F;
  const ownBytes = <usize>cols * F;
  const up = aligned(scratch);
  const uh = up + <usize>hidden * gateStride(2 * hidden);
  const q = up + <usize>hidden * (gateStride(2 * hidden) + gateStride(hidden) + gateStride(g));
  const qh = q + <usize>batch * qPitch;
  const rh = shared; // [B, H], every thread's units
  const pack = qh + <usize>batch * qPitch + <usize>batch * hBytes;
  const work = pack + <usize>stepPackBytes(batch);
  const tc = chunkSteps(batch, steps, g);
  const pc = aligned(work + <usize>gemmWorkBytes(g));
  const wpk = pc + <usize>batch * <usize>tc * pPitch;
  const micro = wpk + <usize>inputSize * <usize>pad8(g) * F;
  packGateColumns(w, gBytes, F, inputSize, hidden, 3, j0, j1, wpk);
  if (resetAfter) packGateColumns(u, gBytes, F, hidden, hidden, 3, j0, j1, up);
  else {
    packGateColumns(u, gBytes, F, hidden, hidden, 2, j0, j1, up);
    packPanels(u + <usize>(2 * hidden + j0) * F, gBytes, F, hidden, cols, uh + <usize>(j0 >> 3) * panelBytes(hidden));
  }
  const rb = resetAfter ? bias + gBytes : 0;
  const aux = saveOut + <usize>batch * <usize>steps * pPitch;
  const usual = act == ACT_TANH && gateAct == ACT_SIGMOID;
  const recurrentBlocks = resetAfter ? 3 : 2;

  const seqPitch = <usize>steps * hBytes;
  let gen = 1;
  let t0 = 0;
  let n = 0;
  for (let s = 0; s < steps; s++) {
    const t = backwards ? steps - 1 - s : s;
    if (s % tc == 0) {
      n = min(tc, steps - s);
      t0 = backwards ? steps - s - n : s;
      projectGateColumns(x, wpk, bias, pc, pPitch, batch, steps, t0, n, inputSize, hidden, 3, j0, j1, micro);
    }
    const hPrev = s == 0 ? h0 : hs + <usize>(s - 1) * hBytes;
    const prevPitch = s == 0 ? hBytes : seqPitch;
    for (let b = 0; b < recurrentBlocks; b++) {
      const c = b * hidden + j0;
      stepGemmForward(hPrev, prevPitch, up + <usize>(c >> 3) * panelBytes(hidden), q + <usize>c * F, qPitch, batch, hidden, cols, pack);
    }
    if (!resetAfter) {
      // r⊙h of this thread's units for every row, then (once every thread's are in) (r⊙h)·U_h for its units.
      for (let bi = 0; bi < batch; bi++) {
        const pr = pc + (<usize>bi * <usize>n + <usize>(t - t0)) * pPitch + <usize>hidden * F;
        const qr = q + <usize>bi * qPitch + <usize>hidden * F;
        const hp = hPrev + <usize>bi * prevPitch;
        const out = rh + <usize>bi * hBytes;
        const row = <usize>bi * <usize>steps + <usize>t;
        const taken = saveOut != 0 && load<f32>(mask + row * F) != 0;
        for (let j = j0; j < j1; j += 4) {
          const o = <usize>j * F;
          const r = activate4(f32x4.add(v128.load(pr + o), v128.load(qr + o)), gateAct);
          const v = f32x4.mul(r, v128.load(hp + o));
          v128.store(out + o, v);
          if (taken) {
            v128.store(saveOut + row * pPitch + <usize>hidden * F + o, r);
            v128.store(aux + row * hBytes + o, v);
          }
        }
        if (saveOut != 0 && !taken) {
          memory.fill(saveOut + row * pPitch + <usize>hidden * F + own, 0, ownBytes);
          memory.fill(aux + row * hBytes + own, 0, ownBytes);
        }
      }
      if (!columnBarrier(ctl, threads, gen++, index)) return -1;
      stepGemmForward(rh, hBytes, uh + <usize>(j0 >> 3) * panelBytes(hidden), qh + own, qPitch, batch, hidden, cols, pack);
    }
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const hp = hPrev + <usize>bi * prevPitch;
      const ho = hs + <usize>bi * seqPitch + <usize>s * hBytes;
      if (m == 0) {
        memory.copy(ho + own, hp + own, ownBytes);
        continue;
      }
      const pr = pc + (<usize>bi * <usize>n + <usize>(t - t0)) * pPitch;
      const qr = q + <usize>bi * qPitch;
      const qhr = qh + <usize>bi * qPitch;
      const row = <usize>bi * <usize>steps + <usize>t;
      const zo = saveOut == 0 ? 0 : saveOut + row * pPitch;
      const ao = saveOut == 0 ? 0 : aux + row * pPitch;
      for (let j = j0; j < j1; j += 4) {
        if (usual) gruLanesTanhSigmoid(pr, qr, qhr, rb, hp, ho, zo, ao, hidden, j, m, resetAfter);
        else gruLanes(pr, qr, qhr, rb, hp, ho, zo, ao, hidden, j, m, act, gateAct, resetAfter, true);
      }
    }
    if (!columnBarrier(ctl, threads, gen++, index)) return -1;
  }
  return 0;
}

/**
 * Bytes of the scratch each thread of {@link lstmBackwardColumns} needs besides the shared one
 * (lstmBackwardScratchBytes, one for all threads): Uᵀ in panels, the carries and g [B, H8], the step product's
 * packing and gemm's work space.
 */
export function lstmBackwardColumnsBytes(batch: i32, inputSize: i32, hidden: i32): f64 {
  const g = 4 * hidden;
  const hp = <f64>pad8(hidden);
  return (<f64>g * hp + 3 * <f64>batch * hp) * 4 + stepPackBytes(batch) + gemmWorkBytes(max(g, max(inputSize, hidden))) + ALIGN;
}

/**
 * {@link lstmBackward} for thread `index` of `threads`: the gradients' gate columns of units [j0, j1) (dW, dU, db
 * columns; dh0, dc0 units) and the batch rows [b0, b1) of dx, which every thread writes disjointly. `shared` is one
 * lstmBackwardScratchBytes block for all threads (Z, dZ, H_prev, the taken inputs), `scratch` the thread's own
 * (lstmBackwardColumnsBytes). Returns 0, or −1 when the call was aborted.
 */
export function lstmBackwardColumns(
  x: usize, w: usize, u: usize, bias: usize, h0: usize, c0: usize, mask: usize, hs: usize, cs: usize, dh: usize, dc: usize,
  zSaved: usize, dx: usize, dw: usize, du: usize, db: usize, dh0: usize, dc0: usize, dHidden: usize, shared: usize, scratch: usize,
  batch: i32, steps: i32, inputSize: i32, hidden: i32, act: i32, gateAct: i32, backwards: bool,
  j0: i32, j1: i32, b0: i32, b1: i32, ctl: usize, threads: i32, index: i32,
): i32 {
  const g = 4 * hidden;
  const gBytes = <usize>g * F;
  const zPitch = rowPitch(g);
  const hBytes = <usize>hidden * F;
  const hpBytes = gateStride(hidden);
  const rows = batch * steps;
  const cols = j1 - j0;
  const own = <usize>j0 * F;
  // The shared block in lstmBackward's layout (its Uᵀ and carries unused).
  const zs = aligned(shared) + <usize>g * hpBytes;
  const dz = zs + <usize>rows * zPitch;
  const z = zSaved != 0 ? zSaved : zs;
  const hPrev = dz + <usize>rows * zPitch;
  const xs = hPrev + <usize>rows * hBytes + 3 * <usize>batch * hpBytes;
  // The thread's own block.
  const ut = aligned(scratch);
  const carryH = ut + <usize>g * hpBytes;
  const carryC = carryH + <usize>batch * hpBytes;
  const gBuf = carryC + <usize>batch * hpBytes;
  const pack = gBuf + <usize>batch * hpBytes;
  const work = pack + <usize>stepPackBytes(batch);

  // Rows of the batch [b0, b1): taken inputs, previous states and (unless saved) the gate values.
  const r0 = b0 * steps;
  const mine = (b1 - b0) * steps;
  const xRow = <usize>inputSize * F;
  let skipped = false;
  if (mask != 0) for (let r = 0; r < rows && !skipped; r++) skipped = load<f32>(mask + <usize>r * F) == 0;
  if (skipped) takenInputs(x + <usize>r0 * xRow, mask + <usize>r0 * F, mine, inputSize, xs + <usize>r0 * xRow);
  const xt = skipped ? xs : x;
  previousStates(h0 + <usize>b0 * hBytes, hs + <usize>b0 * <usize>steps * hBytes, hPrev + <usize>r0 * hBytes, b1 - b0, steps, hidden, backwards);
  if (zSaved == 0 && mine > 0) {
    recomputeLstmGates(xt + <usize>r0 * xRow, w, u, bias, hPrev + <usize>r0 * hBytes, z + <usize>r0 * zPitch, zPitch, mine, inputSize, hidden, act, gateAct, work);
  }
  let gen = 1;
  if (!columnBarrier(ctl, threads, gen++, index)) return -1;

  packPanels(u + <usize>j0 * gBytes, F, gBytes, g, cols, ut + <usize>(j0 >> 3) * panelBytes(g)); // Uᵀ, own columns
  memory.fill(carryH, 0, <usize>batch * hpBytes);
  memory.fill(carryC, 0, <usize>batch * hpBytes);
  const seqPitch = <usize>steps * hBytes;
  const dzPitch = <usize>steps * zPitch;
  const usual = act == ACT_TANH && gateAct == ACT_SIGMOID;
  for (let s = steps - 1; s >= 0; s--) {
    const t = backwards ? steps - 1 - s : s;
    for (let bi = 0; bi < batch; bi++) {
      const m = load<f32>(mask + (<usize>bi * <usize>steps + <usize>t) * F);
      const row = <usize>bi * <usize>steps + <usize>t;
      const dRow = <usize>bi * seqPitch + <usize>s * hBytes;
      const zr = z + row * zPitch + own;
      const dzr = dz + row * zPitch + own;
      const cH = carryH + <usize>bi * hpBytes + own;
      const cC = carryC + <usize>bi * hpBytes + own;
      const gr = gBuf + <usize>bi * hpBytes + own;
      const dHid = dHidden == 0 ? 0 : dHidden + dRow + own;
      if (m == 0) {
        for (let j = 0; j < cols; j++) {
          const o = <usize>j * F;
          const gh = load<f32>(dh + dRow + own + o) + load<f32>(cH + o);
          store<f32>(gr + o, gh);
          if (dHid != 0) store<f32>(dHid + o, gh);
          store<f32>(cC + o, load<f32>(dc + dRow + own + o) + load<f32>(cC + o));
        }
        for (let b = 0; b < 4; b++) memory.fill(dzr + <usize>b * hBytes, 0, <usize>cols * F);
        continue;
      }
      const cp = (s == 0 ? c0 + <usize>bi * hBytes : cs + dRow - hBytes) + own;
      for (let j = 0; j < cols; j += 4) {
        if (usual) lstmGradLanes(zr, dzr, cp, dh + dRow + own, dc + dRow + own, cH, cC, gr, dHid, hidden, j, m, ACT_TANH, ACT_SIGMOID, true);
        else lstmGradLanes(zr, dzr, cp, dh + dRow + own, dc + dRow + own, cH, cC, gr, dHid, hidden, j, m, act, gateAct, true);
      }
    }
    // Every thread's gate columns of dz_s are needed for this thread's units of carry_h = dz_s·Uᵀ.
    if (!columnBarrier(ctl, threads, gen++, index)) return -1;
    stepGemm(dz + <usize>t * zPitch, dzPitch, ut + <usize>(j0 >> 3) * panelBytes(g), carryH + own, hpBytes, batch, g, cols, false, pack);
    carrySkipped(mask, steps, t, carryH + own, gBuf + own, hpBytes, batch, cols);
  }
  for (let bi = 0; bi < batch; bi++) {
    memory.copy(dh0 + <usize>bi * hBytes + own, carryH + <usize>bi * hpBytes + own, <usize>cols * F);
    memory.copy(dc0 + <usize>bi * hBytes + own, carryC + <usize>bi * hpBytes + own, <usize>cols * F);
  }
  // dW, dU, db: this thread's gate columns; dx: its batch rows (dZ is complete: the last barrier followed its last rows).
  for (let b = 0; b < 4; b++) {
    const c = <usize>(b * hidden + j0) * F;
    weightGrads(dz + c, zPitch, rows, cols, db + c, gBytes, xt, xRow, inputSize, dw + c, hPrev, hBytes, hidden, du + c, cols, 0, 0, work);
  }
  if (mine > 0) gemm(dz + <usize>r0 * zPitch, zPitch, F, w, F, gBytes, dx + <usize>r0 * xRow, xRow, mine, g, inputSize, false, work);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Adam (core's AdamUpdate): one pass per weight, the float32 operations of tfjs's Adam in its order.

/**
 * m' = b1·m + k1·g, v' = b2·v + k2·(g·g), x' = ((m'/c1) / (√(v'/c2) + eps))·step + x for n floats (k1 = 1 − β1,
 * k2 = 1 − β2, step = −lr; every operation rounded to float32, as tfjs's ops do). Outputs may not alias inputs.
 */
export function adamUpdate(
  x: usize, m: usize, v: usize, g: usize, xOut: usize, mOut: usize, vOut: usize, n: i32,
  b1: f32, b2: f32, k1: f32, k2: f32, c1: f32, c2: f32, eps: f32, step: f32,
): void {
  const vb1 = f32x4.splat(b1);
  const vb2 = f32x4.splat(b2);
  const vk1 = f32x4.splat(k1);
  const vk2 = f32x4.splat(k2);
  const vc1 = f32x4.splat(c1);
  const vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(eps);
  const vstep = f32x4.splat(step);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * F;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gi, vk1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gi, gi), vk2));
    v128.store(mOut + o, mi);
    v128.store(vOut + o, vi);
    const den = f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), veps);
    v128.store(xOut + o, f32x4.add(f32x4.mul(f32x4.div(f32x4.div(mi, vc1), den), vstep), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * F;
    const gi = load<f32>(g + o);
    const mi = load<f32>(m + o) * b1 + gi * k1;
    const vi = load<f32>(v + o) * b2 + (gi * gi) * k2;
    store<f32>(mOut + o, mi);
    store<f32>(vOut + o, vi);
    const den = Mathf.sqrt(vi / c2) + eps;
    store<f32>(xOut + o, ((mi / c1) / den) * step + load<f32>(x + o));
  }
}

/**
 * Σ x·0 over n floats (core's FiniteProbe): 0 when every one is finite, NaN otherwise (Inf·0 and NaN·0 are NaN).
 */
export function finiteProbe(x: usize, n: i32): f32 {
  const zero = f32x4.splat(0);
  let acc = zero;
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(x + <usize>i * F), zero));
  let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) sum += load<f32>(x + <usize>i * F) * 0;
  return sum;
}
