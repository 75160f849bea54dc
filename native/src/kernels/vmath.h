// Branch-free float math that GCC auto-vectorises (selects instead of branches, no libm calls), used by the
// elementwise kernels. Included INSIDE each variant's namespace, so every instruction set gets its own copy and
// no inline symbol is shared between translation units compiled with different target flags.
// Accuracy: a few ulp over the whole float range, with IEEE specials (NaN, ±inf, ±0) handled explicitly.

static inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t float_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// 2^k for integer k in [-126, 127].
static inline float pow2i(int32_t k) { return bits_to_float(static_cast<uint32_t>(k + 127) << 23); }

// e^x: Cody-Waite reduction x = n·ln2 + r, |r| <= ln2/2, degree-6 minimax polynomial, 2^n applied in two halves
// so results in the subnormal range are still produced.
static inline float v_exp(float x) {
  float xc = x > -104.0f ? (x < 89.0f ? x : 89.0f) : -104.0f;  // NaN -> -104, patched at the end
  // Round-to-nearest via the 1.5·2^23 trick (no rint call, vectorises on plain SSE2).
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t ni = static_cast<int32_t>(n);
  int32_t n1 = ni / 2;
  float res = p * pow2i(n1) * pow2i(ni - n1);
  return x != x ? x : res;
}

// ln x: x = m·2^e with m in [√½, √2), polynomial in (m−1) (Cephes logf), subnormals rescaled first.
static inline float v_log(float x) {
  bool sub = x < 1.17549435e-38f;
  float xs = sub ? x * 8388608.0f : x;
  uint32_t u = float_to_bits(xs);
  int32_t e = static_cast<int32_t>((u >> 23) & 0xff) - 126 - (sub ? 23 : 0);
  float m = bits_to_float((u & 0x007fffffu) | 0x3f000000u);  // [0.5, 1)
  bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  float res = m + y + 0.693359375f * fe;
  res = x == 0.0f ? -__builtin_inff() : res;
  res = x < 0.0f ? __builtin_nanf("") : res;
  res = x == __builtin_inff() ? x : res;
  return x != x ? x : res;
}

// e^x − 1, accurate near 0 (Taylor series there, e^x − 1 elsewhere).
static inline float v_expm1(float x) {
  float ax = x < 0 ? -x : x;
  float t = 1.0f / 40320.0f;
  t = t * x + 1.0f / 5040.0f;
  t = t * x + 1.0f / 720.0f;
  t = t * x + 1.0f / 120.0f;
  t = t * x + 1.0f / 24.0f;
  t = t * x + 1.0f / 6.0f;
  t = t * x + 0.5f;
  t = t * x * x + x;
  float big = v_exp(x) - 1.0f;
  return ax < 0.5f ? t : big;
}

// ln(1 + x) with Kahan's correction: log(u)·x/(u−1), u = 1+x, exact to a few ulp even for tiny x.
static inline float v_log1p(float x) {
  float u = 1.0f + x;
  float d = u - 1.0f;
  float l = v_log(u);
  float r = d == 0.0f ? x : l * (x / d);
  r = u == __builtin_inff() ? u : r;
  return x != x ? x : r;
}

static inline float v_tanh(float x) {
  float ax = x < 0 ? -x : x;
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = x + x * z * p;
  float e = v_exp(-2.0f * ax);
  float big = (1.0f - e) / (1.0f + e);
  big = x < 0 ? -big : big;
  float r = ax < 0.625f ? small : big;
  return x != x ? x : r;
}

// 1/(1+e^−x) evaluated with e^−|x| only, so nothing overflows.
static inline float v_sigmoid(float x) {
  float ax = x < 0 ? -x : x;
  float e = v_exp(-ax);
  float r = x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
  return x != x ? x : r;
}
