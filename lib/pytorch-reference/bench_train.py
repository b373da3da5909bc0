"""Plain-PyTorch reference for `bench train`: the kit's six course models written with stock torch.nn modules.

What it is. Issue 12 compares the kit's training step (TorchSharp, `bench train`) with a plain PyTorch 1.13
implementation of the same models at the same shapes. This file is that implementation: the `bench train` zoo entries
avgpool, din, din-dice-mba, dien, dsin and bst with the same layers and sizes as lib/DeepInterest/Models, the same
synthetic batch shapes, and the same timed loop (forward + binary cross-entropy + auxiliary / regularization terms,
backward, gradient clipping at norm 5, Adam with lr 2e-3; 3 warm-up steps, then --steps timed steps cycling over
min(steps, 4) batches). It prints model, parameters and ms per step. Where the kit has a hand-optimised form, this
file has the textbook one, which is the point of the comparison:
  - DIN's activation unit concatenates the four views [k; q; k - q; k * q] (the kit splits the first layer's weight);
  - DIEN's interest extractor is torch.nn.GRU and its AUGRU a Python loop over a cell, one step at a time under
    autograd (the kit: one fused node with a hand-derived backward); its auxiliary loss scores the concatenated
    [h_t; e] for the clicked and the sampled behaviour (the kit splits the first layer's weight, h_t's part once);
  - BST's attention is torch.nn.MultiheadAttention (PyTorch 1.13 has no fused scaled_dot_product_attention; the
    kit's step on the CPU runs its own fused kernel, dropout included);
  - DSIN's session self-attention is torch.nn.MultiheadAttention (the kit: the same fused kernel as BST's), and its
    Bi-LSTM two torch.nn.LSTMs, one per direction, as in the kit;
  - every model embeds item and category with two nn.Embedding lookups and torch.cat (the kit: one paired-lookup
    node), and the step ends with nn.utils.clip_grad_norm_ and torch.optim.Adam (the kit: one pass over the gradients
    for the norm, one SIMD pass per parameter tensor for Adam, the same arithmetic).
The recurrences handle left padding without pack_padded_sequence: each reads the real steps first (the forward
ones the history rotated, DSIN's backward LSTM the history flipped), so padding only follows them and never reaches a
real step's output. Packing would give the same outputs, but PyTorch 1.13's CPU RNN narrows a packed input step by
step and the backward of every narrow adds a full-size gradient: nn.GRU forward + backward at B = 256, T = 50,
E = H = 64 measured 540-680 ms packed against 65-82 ms unpacked on one thread, which would time PyTorch's packing
rather than the model. For the same reason the AUGRU loop walks unbind(1), not a slice per step.

Threads. Debian's libtorch runs its own parallel work on an OpenMP pool (--threads) and calls OpenBLAS, whose
pthread build keeps a pool of its own (--blas-threads, default --threads). With both at 2 on a 2-core machine the
idle OpenMP workers spin while OpenBLAS's threads want the same cores: on this project's machine (shared, load about
2) dien took 1,005-1,052 ms per step so, 286-384 ms with --blas-threads 1, and 237-325 ms with both at 2 and
OMP_WAIT_POLICY=PASSIVE in the environment (din 152-165, 75-113, 78-101 ms). A two-thread ratio therefore depends
on this setting by up to 3x: say which one it was taken with.

How to run (Debian 12: `apt-get install python3-torch libopenblas0`; the system python, not a pyenv one):

    /usr/bin/python3 lib/pytorch-reference/bench_train.py --threads 2
    /usr/bin/python3 lib/pytorch-reference/bench_train.py --threads 2 --models dien,dsin --steps 5

and the kit's numbers in the same window with
    OMP_NUM_THREADS=2 dotnet run -c Release --project lib/DeepInterest.Cli -- bench train

Same architecture: the parameter counts printed here equal those `bench train` prints (at the defaults: avgpool
87,841, din 111,802, din-dice-mba 111,802, dien 208,979, dsin 251,994, bst 151,393). One parameter tensor is not
counted: torch.nn.GRU has a second bias, b_hh (3H), which for the reset and update gates only repeats b_ih and for
the candidate sits inside the reset product (tanh(W_h x + b_ih + r * (U_h h + b_hh))); the kit's GRU (DIEN Eq. 1-3)
has one bias per gate. It is held at zero and not trained here, so the recurrence is the kit's and the count of
trained parameters matches; the count printed is that of the trained parameters (with b_hh: dien 209,171).

Same batch: the kit's bench takes synthetic training samples whose history has at least --max-length behaviours, so
no history position is padding (B = 256, T = 50). This file draws histories the way lib/DeepInterest/Data/Synthetic
generates them where it changes the work: sessions of 3-12 behaviours, gaps inside a session of Exp(90 s) clipped to
[5 s, 20 min], breaks between sessions log-uniform in [2 h, 3 days], so DSIN's 30-minute rule finds sessions like
the kit's (7.3 per 50-behaviour history here, 7.6 in the kit's bench batches; of the K = 5 kept, at most L = 10
behaviours each, 34.2 and 33.5 behaviours per history) and BST's time gaps fall into the same buckets. Item and
category ids (the synthetic default's 722 and 62 embedding rows), DIEN's negatives (one per step) and labels are
uniform draws; the side fields are those of the synthetic data set: the user's segment (6 rows) and the impression's
hour (26) and weekday (9), each embedded with D per field and fed to the final MLP (--features chooses them as
`bench train --features` does; with none: avgpool 67,329, din and din-dice-mba 91,290, dien 188,467, dsin 231,482,
bst 130,881 parameters, each 20,512 fewer: 1,312 in the tables and 96 x 200 in the MLP's first layer). The
mini-batch-aware L2 of din-dice-mba counts n_j over the generated batches (the kit counts an epoch of the training
split; only the values differ, not the work). Every model still handles left padding, so the code is the general one.
"""

import argparse
import math
import os
import random
import statistics
import time

MODELS = ["avgpool", "din", "din-dice-mba", "dien", "dsin", "bst"]
# Rows of the synthetic data's side fields (padding 0 and out-of-vocabulary 1 included), as `bench train` builds them:
# the user's segment, the impression's hour and weekday.
PROFILE_ROWS = {"segment": 6, "hour": 26, "weekday": 9}


def parse_args():
    parser = argparse.ArgumentParser(description="Plain-PyTorch training step per model, as `bench train` (docstring)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (torch's OpenMP pool)")
    parser.add_argument("--blas-threads", type=int, help="OpenBLAS's own threads (default: --threads)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-length", type=int, default=50)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps per model")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before them")
    parser.add_argument("--features", default="all", metavar="all|none|NAME[,NAME...]",
                        help="side fields, as bench train's --features: all (the default), none, or names")
    args = parser.parse_args()
    if args.features in ("all", "none"):
        args.features = list(PROFILE_ROWS) if args.features == "all" else []
    else:
        args.features = [name.strip() for name in args.features.split(",")]
        if any(name not in PROFILE_ROWS for name in args.features):
            parser.error(f"--features: unknown field in {','.join(args.features)}; the synthetic data has "
                         f"{', '.join(PROFILE_ROWS)}")
    unknown = [m for m in args.models.split(",") if m not in MODELS]
    if unknown:
        parser.error(f"unknown model {', '.join(unknown)}; expected some of: {', '.join(MODELS)}")
    if args.blas_threads is None:
        args.blas_threads = args.threads
    for name in ("threads", "blas_threads", "batch_size", "max_length", "embedding_dim", "steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be at least 0")
    return args


ARGS = parse_args()
# Debian's libtorch calls the system BLAS (OpenBLAS with libopenblas0), whose pthread build keeps a thread pool of its
# own beside torch's OpenMP one and reads its size from the environment when it is loaded: set both before the import.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.blas_threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

# Embedding rows of the synthetic default (padding 0 and out-of-vocabulary 1 included), as `bench train` builds them.
ITEM_ROWS, CATEGORY_ROWS = 722, 62
ITEMS_PER_CATEGORY = 12


# ---------------------------------------------------------------------------------------------------------------------
# The synthetic batch
# ---------------------------------------------------------------------------------------------------------------------

def timeline(rng, length):
    """Unix-second times of `length` behaviours cut from a session-structured timeline (SyntheticData's rules)."""
    times, now = [], 1_704_067_200 + rng.random() * 7 * 86400
    skip = rng.randint(0, 11)  # the history starts anywhere in a session, as a sample's history does
    while len(times) < length + skip:
        for k in range(rng.randint(3, 12)):
            if k > 0:
                now += min(max(-90 * math.log(1 - rng.random()), 5), 20 * 60)
            times.append(int(now))
        now += 2 * 3600 * (36 ** rng.random())  # log-uniform in [2 h, 3 days]
    times = times[skip:skip + length]
    candidate = times[-1] + int(min(max(-90 * math.log(1 - rng.random()), 5), 20 * 60))
    return times, candidate


def make_batch(rng, b, t):
    """One batch of full-length histories, left-padded layout (here: no padding), as dict of tensors."""
    def item():
        return rng.randrange(2, ITEM_ROWS)

    def category(i):
        return 2 + (i - 2) // ITEMS_PER_CATEGORY % (CATEGORY_ROWS - 2)

    history = [[item() for _ in range(t)] for _ in range(b)]
    negatives = [[item() for _ in range(t)] for _ in range(b)]
    candidates = [item() for _ in range(b)]
    times = [timeline(rng, t) for _ in range(b)]
    long = torch.long
    return {
        "history_items": torch.tensor(history, dtype=long),                                   # (B, T)
        "history_categories": torch.tensor([[category(i) for i in r] for r in history], dtype=long),
        "history_times": torch.tensor([h for h, _ in times], dtype=long),                     # (B, T) seconds
        "mask": torch.ones(b, t, dtype=torch.bool),                                           # (B, T) true = real
        "negative_items": torch.tensor(negatives, dtype=long),                                # (B, T)
        "negative_categories": torch.tensor([[category(i) for i in r] for r in negatives], dtype=long),
        "items": torch.tensor(candidates, dtype=long),                                        # (B)
        "categories": torch.tensor([category(i) for i in candidates], dtype=long),
        "times": torch.tensor([c for _, c in times], dtype=long),                             # (B) seconds
        "labels": torch.tensor([float(rng.random() < 0.35) for _ in range(b)]),               # (B)
        "segment": torch.tensor([rng.randrange(2, 6) for _ in range(b)], dtype=long),         # (B) user field
        "hour": torch.tensor([2 + c // 3600 % 24 for _, c in times], dtype=long),             # (B) context fields
        "weekday": torch.tensor([2 + (c // 86400 + 3) % 7 for _, c in times], dtype=long),
    }


# ---------------------------------------------------------------------------------------------------------------------
# Shared layers (lib/DeepInterest/Layers)
# ---------------------------------------------------------------------------------------------------------------------

def embedding_table(rows, width, std):
    table = nn.Embedding(rows, width, padding_idx=0)
    with torch.no_grad():
        table.weight.normal_(0, std)
        table.weight[0].zero_()
    return table


class BehaviorEmbedding(nn.Module):
    """e = [item embedding; category embedding], 2D wide, rows N(0, 1/D), padding row 0."""

    def __init__(self, d):
        super().__init__()
        self.items = embedding_table(ITEM_ROWS, d, d ** -0.5)
        self.categories = embedding_table(CATEGORY_ROWS, d, d ** -0.5)

    def forward(self, items, categories):
        return torch.cat([self.items(items), self.categories(categories)], -1)  # (..., 2D)


class Profile(nn.Module):
    """The chosen user and context side fields (--features), D per field, concatenated for the final MLP."""

    def __init__(self, d):
        super().__init__()
        self.tables = nn.ModuleDict({name: embedding_table(PROFILE_ROWS[name], d, d ** -0.5) for name in ARGS.features})
        self.width = d * len(ARGS.features)

    def forward(self, batch):
        columns = [table(batch[name]) for name, table in self.tables.items()]              # (B, D) each
        return torch.cat(columns, -1) if columns else batch["labels"].new_zeros(len(batch["labels"]), 0)  # (B, P)


class Dice(nn.Module):
    """DIN's Dice: p(s) s + (1 - p(s)) alpha s, p = sigmoid(batch-standardized s); running statistics with momentum
    max(1/n, 0.1) at the n-th batch, as the kit's Dice."""

    def __init__(self, units, momentum=0.1):
        super().__init__()
        self.standardize = nn.BatchNorm1d(units, eps=1e-8, momentum=momentum, affine=False)
        self.alpha = nn.Parameter(torch.zeros(units))
        self.momentum = momentum

    def forward(self, s):
        if self.training:
            self.standardize.momentum = max(1 / (int(self.standardize.num_batches_tracked) + 1), self.momentum)
        p = torch.sigmoid(self.standardize(s))
        return p * s + (1 - p) * self.alpha * s


ACTIVATIONS = {
    "relu": lambda units: nn.ReLU(),
    "prelu": lambda units: nn.PReLU(units, init=0.25),
    "dice": Dice,
    "sigmoid": lambda units: nn.Sigmoid(),
}


class Mlp(nn.Module):
    """Linear + activation per hidden size, then Linear to 1; on the last dimension of any (..., in) input."""

    def __init__(self, inputs, hidden, activation):
        super().__init__()
        layers, width = [], inputs
        for units in hidden:
            layers += [nn.Linear(width, units), ACTIVATIONS[activation](units)]
            width = units
        self.layers = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, x):
        # Flattened so that PReLU and Dice act per unit and Dice's statistics run over every row.
        return self.layers(x.reshape(-1, x.shape[-1])).reshape(*x.shape[:-1], 1)  # (..., 1)


def masked_mean(values, mask):
    """(B, T, E), (B, T) -> (B, E) mean over the real positions, 0 for none."""
    weights = mask.unsqueeze(-1).to(values.dtype)
    return (values * weights).sum(1) / weights.sum(1).clamp_min(1)


def masked_softmax(scores, mask):
    """Softmax over the real positions; 0 at padding (and for a row without a real position)."""
    return scores.masked_fill(~mask, torch.finfo(scores.dtype).min).softmax(-1) * mask


class ActivationUnit(nn.Module):
    """DIN's local activation unit: a(k, q) = MLP([k; q; k - q; k * q]), raw scores (or a softmax), 0 at padding."""

    def __init__(self, dim, hidden, activation, softmax=False):
        super().__init__()
        self.scorer = Mlp(4 * dim, hidden, activation)
        self.softmax = softmax
        self.real_only = activation == "dice"  # Dice's batch statistics must not see padding

    def weights(self, history, candidate, mask):
        query = candidate.unsqueeze(1).expand_as(history)                                # (B, T, E)
        views = torch.cat([history, query, history - query, history * query], -1)        # (B, T, 4E)
        if self.real_only:
            scores = history.new_zeros(mask.shape)                                       # (B, T)
            scores[mask] = self.scorer(views[mask]).squeeze(-1)
        else:
            scores = self.scorer(views).squeeze(-1).masked_fill(~mask, 0)                # (B, T)
        return masked_softmax(scores, mask) if self.softmax else scores

    def forward(self, history, candidate, mask):
        weights = self.weights(history, candidate, mask)                                 # (B, T)
        return (weights.unsqueeze(-1) * history).sum(1)                                  # (B, E)


def to_front(x, lengths):
    """Left-padded (B, T, ...) -> the real steps first, the padding after them."""
    t = x.shape[1]
    index = (torch.arange(t) + t - lengths.unsqueeze(1)) % t                             # (B, T)
    return x.gather(1, index.view(*index.shape, 1).expand_as(x))


def to_back(x, lengths):
    """The inverse of to_front."""
    t = x.shape[1]
    index = (torch.arange(t) + lengths.unsqueeze(1)) % t                                 # (B, T)
    return x.gather(1, index.view(*index.shape, 1).expand_as(x))


def run_forward(rnn, x, mask):
    """A batch-first torch RNN over left-padded (B, T, E), oldest step first: outputs (B, T, H), zero at padding.
    It reads the real steps first, so the padding it reads after them changes no real step's output."""
    lengths = mask.sum(1)                                                                # (B)
    out = to_back(rnn(to_front(x, lengths))[0], lengths)                                 # (B, T, H)
    return out * mask.unsqueeze(-1)


def run_backward(rnn, x, mask):
    """The same, newest step first (the backward direction of a Bi-RNN): the flipped history has its padding last."""
    return rnn(x.flip(1))[0].flip(1) * mask.unsqueeze(-1)                                # (B, T, H)


# ---------------------------------------------------------------------------------------------------------------------
# The models (lib/DeepInterest/Models); forward returns (logits (B), extra loss or None)
# ---------------------------------------------------------------------------------------------------------------------

class EmbeddingMlp(nn.Module):
    """avgpool: mean-pooled history + candidate + profile -> MLP 200-80 PReLU."""

    def __init__(self, d):
        super().__init__()
        self.embedding, self.profile = BehaviorEmbedding(d), Profile(d)
        self.mlp = Mlp(4 * d + self.profile.width, [200, 80], "prelu")

    def forward(self, batch):
        history = self.embedding(batch["history_items"], batch["history_categories"])   # (B, T, E)
        candidate = self.embedding(batch["items"], batch["categories"])                  # (B, E)
        user = masked_mean(history, batch["mask"])                                       # (B, E)
        return self.mlp(torch.cat([user, candidate, self.profile(batch)], -1)).squeeze(-1), None


class Din(nn.Module):
    """DIN: activation unit 80-40 over the history, MLP 200-80, both PReLU or Dice; optional mini-batch-aware L2."""

    def __init__(self, d, activation="prelu", mba_lambda=0.0, counts=None):
        super().__init__()
        self.embedding, self.profile = BehaviorEmbedding(d), Profile(d)
        self.attention = ActivationUnit(2 * d, [80, 40], activation)
        self.mlp = Mlp(4 * d + self.profile.width, [200, 80], activation)
        self.mba_lambda = mba_lambda
        if mba_lambda > 0:
            self.register_buffer("item_counts", counts[0].float().clamp_min(1))
            self.register_buffer("category_counts", counts[1].float().clamp_min(1))

    def forward(self, batch):
        history = self.embedding(batch["history_items"], batch["history_categories"])   # (B, T, E)
        candidate = self.embedding(batch["items"], batch["categories"])                  # (B, E)
        interest = self.attention(history, candidate, batch["mask"])                     # (B, E)
        logits = self.mlp(torch.cat([interest, candidate, self.profile(batch)], -1)).squeeze(-1)
        if self.mba_lambda == 0:
            return logits, None
        penalty = (row_penalty(self.embedding.items.weight, self.item_counts, batch["history_items"], batch["items"])
                   + row_penalty(self.embedding.categories.weight, self.category_counts,
                                 batch["history_categories"], batch["categories"]))
        return logits, self.mba_lambda * penalty


def row_penalty(weight, counts, history, candidates):
    """Mini-batch-aware L2 (DIN Eq. 4-5): sum over the batch's rows j of (n_jB / n_j) ||w_j||^2, padding excluded."""
    ids = torch.cat([history.flatten(), candidates])
    rows, in_batch = torch.unique(ids[ids != 0], return_counts=True)
    return (in_batch / counts[rows] * weight[rows].pow(2).sum(1)).sum()


class AugruCell(nn.Module):
    """One AUGRU step (DIEN Eq. 1-4, 8): the update gate scaled by the attention a_t."""

    def __init__(self, inputs, hidden):
        super().__init__()
        self.input = nn.Linear(inputs, 3 * hidden)
        self.recurrent = nn.Linear(hidden, 3 * hidden, bias=False)

    def forward(self, x, state, attention):
        x_r, x_u, x_h = self.input(x).chunk(3, -1)                                       # (B, H) each
        h_r, h_u, h_h = self.recurrent(state).chunk(3, -1)
        reset = torch.sigmoid(x_r + h_r)
        update = attention * torch.sigmoid(x_u + h_u)                                    # (B, H) Eq. 8
        candidate = torch.tanh(x_h + reset * h_h)
        return (1 - update) * state + update * candidate


class Dien(nn.Module):
    """DIEN: GRU interest extractor + auxiliary loss (100-50 sigmoid), candidate query -> activation-unit gate
    (80-40 sigmoid) -> AUGRU, MLP 200-80 Dice over [h'_T; e_c; mean e; e_c * mean e; profile]."""

    def __init__(self, d):
        super().__init__()
        e = h = 2 * d
        self.embedding, self.profile = BehaviorEmbedding(d), Profile(d)
        self.extractor = nn.GRU(e, h, batch_first=True)
        with torch.no_grad():
            self.extractor.bias_hh_l0.zero_()           # the kit's Eq. 3 has no hidden-side bias: held at 0, untrained
        self.extractor.bias_hh_l0.requires_grad_(False)
        self.auxiliary = Mlp(h + e, [100, 50], "sigmoid")
        self.query = nn.Linear(e, h)
        self.attention = ActivationUnit(h, [80, 40], "sigmoid")
        self.evolution = AugruCell(h, h)
        self.output = Mlp(h + 3 * e + self.profile.width, [200, 80], "dice")

    def forward(self, batch):
        mask = batch["mask"]
        history = self.embedding(batch["history_items"], batch["history_categories"])   # (B, T, E)
        candidate = self.embedding(batch["items"], batch["categories"])                  # (B, E)
        interests = run_forward(self.extractor, history, mask)                           # (B, T, H), 0 at padding

        query = self.query(candidate)                                                    # (B, H)
        gates = torch.sigmoid(self.attention.weights(interests, query, mask)) * mask     # (B, T), 0 at padding
        state = interests.new_zeros(interests.shape[0], interests.shape[2])              # (B, H)
        # unbind, not interests[:, t]: each slice's backward would add a full (B, T, H) zero-padded gradient.
        for h_t, a_t in zip(interests.unbind(1), gates.unbind(1)):  # a_t = 0 at padding: the state carries over it
            state = self.evolution(h_t, state, a_t.unsqueeze(1))
        mean = masked_mean(history, mask)                                                # (B, E)
        logits = self.output(torch.cat([state, candidate, mean, candidate * mean, self.profile(batch)], -1)).squeeze(-1)

        negatives = self.embedding(batch["negative_items"], batch["negative_categories"]) # (B, T, E)
        valid = mask[:, :-1] & mask[:, 1:] & (batch["negative_items"][:, 1:] != 0)       # (B, T-1)
        now = interests[:, :-1]
        positive = self.auxiliary(torch.cat([now, history[:, 1:]], -1)).squeeze(-1)     # (B, T-1)
        negative = self.auxiliary(torch.cat([now, negatives[:, 1:]], -1)).squeeze(-1)
        likelihood = F.logsigmoid(positive) + F.logsigmoid(-negative)
        auxiliary = -(likelihood * valid).sum() / valid.sum().clamp_min(1)               # Eq. 6, lambda = 1
        return logits, auxiliary


def session_layout(times, mask, gap, k, l):
    """DSIN's sessions of a left-padded (B, T) batch: a gap of more than `gap` seconds starts one; the K most recent
    are kept, each its L most recent behaviours. Returns each position's flat slot k * L + l in (B, K * L) (K * L
    when dropped), newest session in slot K - 1, a session's oldest kept behaviour at l = 0."""
    b, t = mask.shape
    opens = (times.diff(dim=1, prepend=times[:, :1]) > gap).cumsum(1)                   # (B, T)
    session = opens[:, -1:] - opens                                                      # (B, T) 0 = newest
    counts = torch.zeros(b, t + 1, dtype=torch.long).scatter_add_(1, session, mask.long())  # per session
    newer = counts.cumsum(1) - counts                                                    # in newer sessions
    from_end = torch.arange(t - 1, -1, -1) - newer.gather(1, session)                   # later ones in its session
    within = counts.gather(1, session).clamp(max=l) - 1 - from_end
    kept = mask & (session < k) & (from_end < l)
    return ((k - 1 - session) * l + within).masked_fill(~kept, k * l)


def place(values, slot, k, l):
    """(B, T) values -> (B, K, L) at their session slots, zero elsewhere."""
    placed = torch.zeros(values.shape[0], k * l + 1, dtype=values.dtype).scatter_(1, slot, values)
    return placed[:, :k * l].reshape(-1, k, l)


class Dsin(nn.Module):
    """DSIN: 30-min sessions (K = 5, L = 10), bias encoding, one shared transformer layer per session (4 heads,
    feed-forward 4E) averaged to I_k, Bi-LSTM over sessions averaged to H_k, two activation units (64-16 sigmoid,
    softmax), MLP 200-80 ReLU over [e_c; U^I; U^H; profile]."""

    def __init__(self, d, sessions=5, session_length=10, gap=1800):
        super().__init__()
        e = 2 * d
        self.k, self.l, self.gap = sessions, session_length, gap
        self.embedding, self.profile = BehaviorEmbedding(d), Profile(d)
        self.session_bias = nn.Parameter(torch.randn(sessions) * 1e-4)                   # Eq. 2: w^K, w^T, w^C
        self.position_bias = nn.Parameter(torch.randn(session_length) * 1e-4)
        self.unit_bias = nn.Parameter(torch.randn(e) * 1e-4)
        self.self_attention = nn.MultiheadAttention(e, 4, batch_first=True)
        self.attention_norm = nn.LayerNorm(e)
        self.feed_forward = nn.Sequential(nn.Linear(e, 4 * e), nn.ReLU(), nn.Linear(4 * e, e))
        self.feed_forward_norm = nn.LayerNorm(e)
        self.forward_lstm = nn.LSTM(e, e, batch_first=True)
        self.backward_lstm = nn.LSTM(e, e, batch_first=True)
        self.interest_attention = ActivationUnit(e, [64, 16], "sigmoid", softmax=True)
        self.interaction_attention = ActivationUnit(e, [64, 16], "sigmoid", softmax=True)
        self.mlp = Mlp(3 * e + self.profile.width, [200, 80], "relu")

    def forward(self, batch):
        k, l = self.k, self.l
        slot = session_layout(batch["history_times"], batch["mask"], self.gap, k, l)     # (B, T)
        behavior_mask = place(batch["mask"], slot, k, l)                                 # (B, K, L) kept behaviours
        session_mask = behavior_mask.any(2)                                              # (B, K)
        behaviors = self.embedding(place(batch["history_items"], slot, k, l),
                                   place(batch["history_categories"], slot, k, l))      # (B, K, L, E)
        sessions = (behaviors + self.session_bias.view(-1, 1, 1) + self.position_bias.view(1, -1, 1)
                    + self.unit_bias)                                                    # (B, K, L, E)
        interests = self.session_interests(sessions, behavior_mask)                      # (B, K, E) I_k
        interactions = (run_forward(self.forward_lstm, interests, session_mask)
                        + run_backward(self.backward_lstm, interests, session_mask)) / 2   # (B, K, E) H_k
        candidate = self.embedding(batch["items"], batch["categories"])                  # (B, E)
        pooled_interests = self.interest_attention(interests, candidate, session_mask)    # (B, E)
        pooled_interactions = self.interaction_attention(interactions, candidate, session_mask)
        features = torch.cat([candidate, pooled_interests, pooled_interactions, self.profile(batch)], -1)
        return self.mlp(features).squeeze(-1), None

    def session_interests(self, sessions, behavior_mask):
        b, k, l, e = sessions.shape
        x = sessions.reshape(b * k, l, e)                                                # (B K, L, E)
        real = behavior_mask.reshape(b * k, l)
        attendable = real.clone()
        attendable[:, 0] |= ~real.any(1)    # an empty session attends to its slot 0 (no NaN); averaged away below
        attended, _ = self.self_attention(x, x, x, key_padding_mask=~attendable, need_weights=False)
        hidden = self.attention_norm(x + attended)
        hidden = self.feed_forward_norm(hidden + self.feed_forward(hidden))              # (B K, L, E)
        return masked_mean(hidden.reshape(b * k, l, e), real).reshape(b, k, e)          # (B, K, E)


GAP_BOUNDARIES = [1, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400]


class Bst(nn.Module):
    """BST: history + candidate tokens plus time-gap position embeddings, one transformer layer (8 heads, feed-forward
    256 LeakyReLU, dropout 0.1), MLP 200-80 PReLU over [candidate token; mean history token; e_c; profile]."""

    def __init__(self, d, heads=8, feed_forward=256, dropout=0.1):
        super().__init__()
        e = 2 * d
        self.embedding, self.profile = BehaviorEmbedding(d), Profile(d)
        self.positions = nn.Embedding(len(GAP_BOUNDARIES) + 1, e)
        nn.init.normal_(self.positions.weight, std=0.05)
        self.register_buffer("boundaries", torch.tensor(GAP_BOUNDARIES))
        self.attention = nn.MultiheadAttention(e, heads, dropout=dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.attention_norm = nn.LayerNorm(e)
        self.feed_forward = nn.Sequential(nn.Linear(e, feed_forward), nn.LeakyReLU(0.01), nn.Linear(feed_forward, e))
        self.feed_forward_norm = nn.LayerNorm(e)
        self.mlp = Mlp(3 * e + self.profile.width, [200, 80], "prelu")

    def forward(self, batch):
        mask = batch["mask"]
        t = mask.shape[1]
        history = self.embedding(batch["history_items"], batch["history_categories"])   # (B, T, E)
        candidate = self.embedding(batch["items"], batch["categories"])                  # (B, E)
        gaps = (batch["times"].unsqueeze(1) - batch["history_times"]).clamp_min(0)       # (B, T) seconds
        buckets = torch.bucketize(gaps, self.boundaries, right=True)                     # (B, T)
        buckets = torch.cat([buckets, torch.zeros_like(buckets[:, :1])], 1)              # (B, T+1) candidate: 0
        real = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)                        # (B, T+1)
        tokens = (torch.cat([history, candidate.unsqueeze(1)], 1) + self.positions(buckets)) * real.unsqueeze(-1)
        attended, _ = self.attention(tokens, tokens, tokens, key_padding_mask=~real, need_weights=False)
        s = self.attention_norm(tokens + self.dropout(attended))                        # (B, T+1, E)
        out = self.feed_forward_norm(s + self.dropout(self.feed_forward(s))) * real.unsqueeze(-1)
        features = [out[:, -1], masked_mean(out[:, :t], mask), candidate, self.profile(batch)]
        return self.mlp(torch.cat(features, -1)).squeeze(-1), None


def create(name, d, batches):
    if name == "avgpool":
        return EmbeddingMlp(d)
    if name == "din":
        return Din(d)
    if name == "din-dice-mba":
        def count(rows, history, candidates):
            ids = torch.cat([torch.cat([b[history].flatten(), b[candidates]]) for b in batches])
            return torch.bincount(ids, minlength=rows)
        counts = (count(ITEM_ROWS, "history_items", "items"), count(CATEGORY_ROWS, "history_categories", "categories"))
        return Din(d, "dice", mba_lambda=0.01, counts=counts)
    if name == "dien":
        return Dien(d)
    if name == "dsin":
        return Dsin(d)
    return Bst(d)


# ---------------------------------------------------------------------------------------------------------------------
# The timed loop (Trainer.MeasureTrainingThroughput)
# ---------------------------------------------------------------------------------------------------------------------

def measure(model, batches, steps, warmup):
    """Milliseconds of each timed step: zero_grad, forward, loss, backward, clip at norm 5, Adam step."""
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trained, lr=2e-3)
    model.train()

    def step(batch):
        optimizer.zero_grad()
        logits, extra = model(batch)
        loss = F.binary_cross_entropy_with_logits(logits, batch["labels"])
        if extra is not None:
            loss = loss + extra
        loss.backward()
        nn.utils.clip_grad_norm_(trained, 5.0)
        optimizer.step()
        return float(loss)

    for i in range(warmup):
        step(batches[i % len(batches)])
    milliseconds = []
    for i in range(steps):
        start = time.perf_counter()
        loss = step(batches[i % len(batches)])
        milliseconds.append(1000 * (time.perf_counter() - start))
        if not math.isfinite(loss):
            raise RuntimeError(f"loss became {loss} at timed step {i + 1}")
    return milliseconds


def blas_library():
    """The BLAS shared library this process loaded (Linux), to print beside the numbers."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.split()[-1].rsplit("/", 1)[-1]}
        return ", ".join(sorted(paths)) or "none found"
    except OSError:
        return "unknown"


def main():
    torch.set_num_threads(ARGS.threads)
    rng = random.Random(42)
    b, t, d = ARGS.batch_size, ARGS.max_length, ARGS.embedding_dim
    batches = [make_batch(rng, b, t) for _ in range(max(1, min(ARGS.steps, 4)))]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas_library()} "
          f"with {ARGS.blas_threads} threads")
    print(f"batch {b}, history {t}, embedding {d}/field, {ARGS.steps} timed steps after {ARGS.warmup} warm-up steps; "
          f"side fields: {', '.join(ARGS.features) or 'none'}")
    rows = []
    for name in ARGS.models.split(","):
        torch.manual_seed(42)
        model = create(name, d, batches)
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        ms = measure(model, batches, ARGS.steps, ARGS.warmup)
        rows.append((name, f"{params:,}", f"{statistics.mean(ms):.1f}", f"{statistics.median(ms):.1f}",
                     f"{b / statistics.mean(ms) * 1000:,.0f}"))
    header = ("model", "params", "ms / step", "median ms", "train samples/s")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths)))
    print("ms / step: mean over the timed steps, as `bench train` reports it (total time / steps); "
          "median ms: their median")


if __name__ == "__main__":
    main()
