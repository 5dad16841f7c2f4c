import CInferenceKernels
import Foundation

/// log softmax(logits)[token] at temperature 1, with the weights of spec/SAMPLING.md §5.3 (so NaN and −∞ logits
/// have probability 0, and +∞ logits share all the mass): log p = (x − M) − log Σ_i w_i in Double. `scratch`
/// holds one Double per logit; nothing is allocated.
func logProbability(
    of token: Int, logits: UnsafeBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Double>,
    variant: KernelVariant
) -> Double {
    var top = -Float.infinity
    for x in logits where x > top { top = x }  // NaN is never > top
    let x = logits[token]
    if top == .infinity {
        guard x == .infinity else { return -.infinity }
        return -log(Double(logits.count { $0 == .infinity }))
    }
    if top == -.infinity { return -log(Double(logits.count)) }  // every logit NaN or −∞: all equally likely
    guard !x.isNaN, x != -.infinity else { return -.infinity }
    kru_softmax_weights(variant.rawValue, logits.count, logits.baseAddress, Double(top), 1, scratch.baseAddress)
    var total = 0.0
    for w in scratch.prefix(logits.count) { total += w }
    return (Double(x) - Double(top)) - log(total)
}
