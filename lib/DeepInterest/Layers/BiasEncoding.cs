using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepInterest.Layers;

/// <summary>
/// DSIN's bias encoding (Feng et al., IJCAI'19, §4.2, Eq. 2): BE_(k,t,c) = w^K_k + w^T_t + w^C_c, one learned bias
/// per session slot k, per position t inside a session and per embedding unit c, added to the session inputs
/// (B, K, L, E). It replaces the Transformer's positional encoding so that the order of sessions and of behaviours
/// inside them is visible to the self-attention. Initialised like the paper's code (normal, σ = 1e-4).
/// </summary>
public sealed class BiasEncoding : Module<Tensor, Tensor>
{
    private readonly Parameter session;   // (K) w^K
    private readonly Parameter position;  // (L) w^T
    private readonly Parameter unit;      // (E) w^C

    public BiasEncoding(long sessions, long sessionLength, long dim) : base(nameof(BiasEncoding))
    {
        session = Parameter(empty(sessions));
        position = Parameter(empty(sessionLength));
        unit = Parameter(empty(dim));
        foreach (var w in new[] { session, position, unit }) init.normal_(w, std: 1e-4);
        RegisterComponents();
    }

    /// <summary>(B, K, L, E) → (B, K, L, E) plus BE.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var bias = session.view(-1, 1, 1) + position.view(1, -1, 1) + unit.view(1, 1, -1); // (K, L, E) Eq. 2
        return (x + bias).MoveToOuterDisposeScope();
    }
}
