//! How a training job is split over GPUs (tensor, pipeline, context, data
//! and expert parallelism; ZeRO; recomputation), the checks that make a
//! split valid, and where each parallel group's ranks sit.
//!
//! Rank order is Megatron-LM's default (`tp-cp-ep-dp-pp`, Megatron-Core's
//! `RankGenerator`): TP fastest, then CP, then DP (EP groups are runs of
//! `ep` consecutive DP ranks), then PP slowest. With TP filling a node
//! (Megatron's and Llama 3's usual TP 8 on 8-GPU nodes) the DP, PP and CP
//! groups have one rank per node and one group per GPU of the node, the
//! same placement as Llama 3's `[TP, CP, PP, DP]` order (Dubey et al. 2024,
//! §3.3.2, Figure 5).
//!
//! Invariants of a layout that passed [`Layout::validate`]: every degree is
//! at least 1; `tp·cp·pp·dp` is the GPU count; TP groups stay inside one
//! node; the global batch splits into whole micro-batches per DP rank; the
//! layers split evenly over the `pp·virtual_stages` model chunks; with the
//! interleaved schedule (`virtual_stages > 1`) the micro-batches per
//! pipeline are a multiple of `pp` (Megatron-LM's rule: the schedule
//! walks the model chunks in groups of `pp` micro-batches).

use serde::Serialize;

use super::TrainingError;
use super::model::ModelSpec;
use crate::collective::GroupShape;

/// Which activations are recomputed in the backward pass instead of kept
/// (Korthikanti et al. 2022, §4 and §5).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Recompute {
    /// Everything the backward pass needs is stored.
    None,
    /// The attention core (scores, softmax, dropout on scores) is
    /// recomputed; Korthikanti's "selective activation recomputation".
    Selective,
    /// Only each layer's input is stored; the whole layer's forward is run
    /// again in the backward pass.
    Full,
}

/// How the attention core runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AttentionKernel {
    /// Scores materialised as s×s matrices (Megatron-LM 2021): they are
    /// activations unless recomputed, and the whole matrix is computed
    /// even where a causal mask zeroes it.
    Unfused,
    /// FlashAttention (Dao et al. 2022): scores never stored (recomputed
    /// in the backward pass), and causal kernels skip the masked half.
    Flash,
}

/// A training job's parallel layout and memory options.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Layout {
    pub tp: u32,
    pub pp: u32,
    /// Model chunks per pipeline rank (the interleaved schedule's v).
    pub virtual_stages: u32,
    pub dp: u32,
    pub cp: u32,
    /// Expert parallelism, carved out of DP (MoE only).
    pub ep: u32,
    /// Sequences per micro-batch.
    pub micro_batch: u32,
    /// Sequences per optimizer step, over all DP ranks.
    pub global_batch: u32,
    /// 0: none; 1: optimizer state sharded over DP; 2: and gradients; 3:
    /// and weights (FSDP).
    pub zero_stage: u8,
    pub recompute: Recompute,
    /// Megatron's sequence parallelism in the TP group (Korthikanti §4.2.2).
    pub sequence_parallel: bool,
    pub attention: AttentionKernel,
    /// Overlap the data-parallel gradient reduction with the backward pass
    /// (Megatron-LM `--overlap-grad-reduce`, PyTorch DDP buckets). Off, the
    /// reduction starts after the last backward (Megatron-LM in 2021).
    pub overlap_grad_reduce: bool,
    /// Overlap the pipeline sends and receives with the next model chunk's
    /// compute (Megatron-Core `--overlap-p2p-communication`, NeMo's
    /// `overlap_p2p_comm`; interleaved schedule only, ignored when
    /// `virtual_stages` is 1). Off, every send is on the critical path.
    pub overlap_p2p_comm: bool,
    /// First and last pipeline stage each hold one transformer layer fewer,
    /// making room for the embedding and the output layer, as Llama 3 does
    /// (Dubey et al. 2024, §3.3.2). Then `layers + 2` must split evenly
    /// over the `pp·virtual_stages` chunks.
    pub balance_embedding_stages: bool,
}

impl Layout {
    /// A layout with the given degrees and batch, everything else default.
    pub fn new(tp: u32, pp: u32, dp: u32, micro_batch: u32, global_batch: u32) -> Self {
        Layout {
            tp,
            pp,
            virtual_stages: 1,
            dp,
            cp: 1,
            ep: 1,
            micro_batch,
            global_batch,
            zero_stage: 0,
            recompute: Recompute::None,
            sequence_parallel: false,
            attention: AttentionKernel::Flash,
            overlap_grad_reduce: true,
            overlap_p2p_comm: false,
            balance_embedding_stages: false,
        }
    }

    pub fn gpus(&self) -> u64 {
        u64::from(self.tp) * u64::from(self.pp) * u64::from(self.cp) * u64::from(self.dp)
    }

    /// Micro-batches each pipeline runs per step (m).
    pub fn micro_batches(&self) -> u32 {
        self.global_batch / (self.micro_batch * self.dp).max(1)
    }

    /// Transformer layers on the busiest pipeline rank, over all its chunks,
    /// and on the first and last rank. `(first, middle, last)`.
    pub fn stage_layers(&self, model: &ModelSpec) -> (u32, u32, u32) {
        if self.balance_embedding_stages {
            let per = (model.layers + 2) / self.pp;
            (per - 1, per, per - 1)
        } else {
            let per = model.layers / self.pp;
            (per, per, per)
        }
    }

    /// Checks the layout against the model and the machine; the error says
    /// what to change. `gpus` is the job's GPU count when fixed.
    pub fn validate(
        &self,
        model: &ModelSpec,
        gpus_per_node: u32,
        gpus: Option<u64>,
    ) -> Result<(), TrainingError> {
        let err = |m: String| Err(TrainingError::new(m));
        for (name, v) in [
            ("tp", self.tp),
            ("pp", self.pp),
            ("virtual_stages", self.virtual_stages),
            ("dp", self.dp),
            ("cp", self.cp),
            ("ep", self.ep),
            ("micro_batch", self.micro_batch),
            ("global_batch", self.global_batch),
        ] {
            if v == 0 {
                return err(format!(
                    "{name} is 0; every degree and batch size is at least 1"
                ));
            }
        }
        if let Some(n) = gpus
            && self.gpus() != n
        {
            return err(format!(
                "tp·pp·cp·dp = {}·{}·{}·{} = {} but the job has {n} GPUs; change dp to {}",
                self.tp,
                self.pp,
                self.cp,
                self.dp,
                self.gpus(),
                if n % (u64::from(self.tp) * u64::from(self.pp) * u64::from(self.cp)) == 0 {
                    (n / (u64::from(self.tp) * u64::from(self.pp) * u64::from(self.cp))).to_string()
                } else {
                    "a whole number (the GPU count is not a multiple of tp·pp·cp)".to_string()
                }
            ));
        }
        if self.tp > gpus_per_node || !gpus_per_node.is_multiple_of(self.tp) {
            return err(format!(
                "tp {} does not fit the {gpus_per_node}-GPU node: TP must stay inside the NVLink domain, so use a tp that divides {gpus_per_node} and scale out with pp or dp",
                self.tp
            ));
        }
        if !model.heads.is_multiple_of(self.tp) {
            return err(format!(
                "{} attention heads do not split over tp {}; use a tp that divides the head count",
                model.heads, self.tp
            ));
        }
        if !model.kv_heads().is_multiple_of(self.tp) && !self.tp.is_multiple_of(model.kv_heads()) {
            return err(format!(
                "{} KV heads do not split over tp {} (nor replicate evenly); use a tp that divides or is a multiple of kv_heads",
                model.kv_heads(),
                self.tp
            ));
        }
        if !model.ffn_hidden.is_multiple_of(self.tp) {
            return err(format!(
                "ffn_hidden {} does not split over tp {}",
                model.ffn_hidden, self.tp
            ));
        }
        let chunks = self.pp * self.virtual_stages;
        if self.balance_embedding_stages {
            if !(model.layers + 2).is_multiple_of(chunks) || (model.layers + 2) / self.pp < 2 {
                return err(format!(
                    "with balance_embedding_stages, layers + 2 = {} must split evenly over pp·virtual_stages = {chunks} chunks",
                    model.layers + 2
                ));
            }
        } else if !model.layers.is_multiple_of(chunks) {
            return err(format!(
                "{} layers do not split evenly over pp·virtual_stages = {}·{} = {chunks} chunks; pick pp and virtual_stages whose product divides {}",
                model.layers, self.pp, self.virtual_stages, model.layers
            ));
        }
        if self.virtual_stages > 1 && self.pp == 1 {
            return err("virtual_stages > 1 needs pipeline parallelism (pp > 1)".into());
        }
        let per_step = u64::from(self.micro_batch) * u64::from(self.dp);
        if u64::from(self.global_batch) % per_step != 0 {
            return err(format!(
                "global_batch {} is not divisible by micro_batch·dp = {}·{} = {per_step}; make the global batch a multiple of {per_step}",
                self.global_batch, self.micro_batch, self.dp
            ));
        }
        let m = self.micro_batches();
        if self.virtual_stages > 1 && !m.is_multiple_of(self.pp) {
            let unit = u64::from(self.pp) * per_step;
            return err(format!(
                "the interleaved schedule (virtual_stages {}) runs micro-batches in groups of pp = {}, but global_batch {} / (micro_batch·dp = {per_step}) = {m} micro-batches is not a multiple of pp (Megatron-LM refuses it); make global_batch a multiple of pp·micro_batch·dp = {unit}, e.g. {}, or set virtual_stages to 1",
                self.virtual_stages,
                self.pp,
                self.global_batch,
                (u64::from(self.global_batch).div_ceil(unit)).max(1) * unit
            ));
        }
        if self.cp > 1 && !model.seq_len.is_multiple_of(2 * self.cp) {
            return err(format!(
                "seq_len {} does not split into 2·cp = {} chunks (load-balanced context parallelism, Llama 3 §3.3.2)",
                model.seq_len,
                2 * self.cp
            ));
        }
        if self.sequence_parallel && !model.seq_len.is_multiple_of(self.tp * self.cp) {
            return err(format!(
                "sequence parallelism needs seq_len {} divisible by tp·cp = {}",
                model.seq_len,
                self.tp * self.cp
            ));
        }
        match &model.moe {
            None if self.ep > 1 => {
                return err(format!(
                    "ep {} on a dense model: expert parallelism needs an MoE model; set ep to 1",
                    self.ep
                ));
            }
            Some(moe) => {
                if !self.dp.is_multiple_of(self.ep) {
                    return err(format!(
                        "ep {} must divide dp {} (expert groups are carved out of data parallelism)",
                        self.ep, self.dp
                    ));
                }
                if moe.experts % self.ep != 0 {
                    return err(format!(
                        "{} experts do not split over ep {}",
                        moe.experts, self.ep
                    ));
                }
            }
            None => {}
        }
        if self.zero_stage > 3 {
            return err(format!(
                "zero_stage {} does not exist; use 0, 1, 2 or 3 (3 = FSDP)",
                self.zero_stage
            ));
        }
        Ok(())
    }

    /// The TP group: `tp` consecutive ranks, on one node.
    pub fn tp_shape(&self, gpus_per_node: u32) -> GroupShape {
        group_shape(self.tp, 1, gpus_per_node, self.gpus())
    }

    /// The CP group: stride `tp`.
    pub fn cp_shape(&self, gpus_per_node: u32) -> GroupShape {
        group_shape(self.cp, self.tp, gpus_per_node, self.gpus())
    }

    /// The group gradients are reduced over: DP and CP together (Megatron
    /// reduces over both, since CP ranks hold the same weights), stride tp.
    pub fn dp_shape(&self, gpus_per_node: u32) -> GroupShape {
        group_shape(self.dp * self.cp, self.tp, gpus_per_node, self.gpus())
    }

    /// Expert gradients are reduced over the DP·CP ranks holding the same
    /// experts: `dp·cp/ep` ranks, stride `tp·ep` (approximately: Megatron
    /// folds CP into the expert group differently; the size is what counts).
    pub fn expert_dp_shape(&self, gpus_per_node: u32) -> GroupShape {
        group_shape(
            (self.dp * self.cp / self.ep).max(1),
            self.tp * self.cp * self.ep,
            gpus_per_node,
            self.gpus(),
        )
    }

    /// The EP group: `ep` consecutive DP ranks, stride `tp·cp`.
    pub fn ep_shape(&self, gpus_per_node: u32) -> GroupShape {
        group_shape(self.ep, self.tp * self.cp, gpus_per_node, self.gpus())
    }

    /// A PP neighbour pair: stride `tp·cp·dp`.
    pub fn pp_shape(&self, gpus_per_node: u32) -> GroupShape {
        group_shape(
            self.pp.min(2),
            self.tp * self.cp * self.dp,
            gpus_per_node,
            self.gpus(),
        )
    }
}

/// Where a group of `size` ranks, `stride` apart in rank order, sits on
/// nodes of `gpus_per_node` GPUs: members closer than a node share it.
pub fn group_shape(size: u32, stride: u32, gpus_per_node: u32, total_gpus: u64) -> GroupShape {
    let node = gpus_per_node.max(1);
    let ranks_per_node = if stride >= node {
        1
    } else {
        size.min(node / stride.max(1)).max(1)
    };
    // Every GPU of a node is in exactly one group of each kind, so the
    // node hosts (GPUs on it) / (ranks of one group on it) groups.
    let gpus_on_node = u64::from(node).min(total_gpus.max(1)) as u32;
    GroupShape {
        ranks: size,
        ranks_per_node,
        concurrent_per_node: (gpus_on_node / ranks_per_node).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::model::{gpt3_175b, llama3_405b};

    #[test]
    fn group_shapes_follow_megatron_rank_order() {
        // Llama 3 405B, 16,384 GPUs: TP8 CP1 PP16 DP128 (Dubey et al. 2024,
        // Table 4) on 8-GPU nodes.
        let l = Layout::new(8, 16, 128, 1, 2048);
        let tp = l.tp_shape(8);
        assert_eq!(
            (tp.ranks, tp.ranks_per_node, tp.concurrent_per_node),
            (8, 8, 1)
        );
        let dp = l.dp_shape(8);
        assert_eq!(
            (dp.ranks, dp.ranks_per_node, dp.concurrent_per_node),
            (128, 1, 8)
        );
        assert_eq!(dp.nodes(), 128);
        let pp = l.pp_shape(8);
        assert_eq!((pp.ranks, pp.ranks_per_node), (2, 1));
        // TP2 on 8-GPU nodes: a DP group of 16 has 4 ranks per node, and
        // two such groups share each node.
        let l = Layout::new(2, 1, 16, 1, 16);
        let dp = l.dp_shape(8);
        assert_eq!((dp.ranks_per_node, dp.concurrent_per_node), (4, 2));
        assert_eq!(dp.nodes(), 4);
    }

    #[test]
    fn invalid_layouts_are_refused_with_what_to_change() {
        let m = gpt3_175b();
        let ok = Layout::new(8, 16, 8, 1, 1536);
        ok.validate(&m, 8, Some(1024)).unwrap();
        let msg = |l: Layout| l.validate(&m, 8, Some(1024)).unwrap_err().to_string();
        assert!(
            msg(Layout {
                dp: 7,
                ..ok.clone()
            })
            .contains("change dp to 8")
        );
        assert!(
            msg(Layout {
                tp: 16,
                dp: 4,
                ..ok.clone()
            })
            .contains("NVLink domain")
        );
        assert!(
            msg(Layout {
                pp: 64,
                dp: 2,
                ..ok.clone()
            })
            .contains("split evenly")
        );
        assert!(
            msg(Layout {
                global_batch: 1500,
                ..ok.clone()
            })
            .contains("multiple of 8")
        );
        assert!(
            msg(Layout {
                ep: 2,
                ..ok.clone()
            })
            .contains("MoE")
        );
        assert!(
            msg(Layout {
                zero_stage: 4,
                ..ok.clone()
            })
            .contains("zero_stage")
        );
        let l = Layout {
            tp: 8,
            dp: 32,
            ..Layout::new(8, 4, 32, 1, 1024)
        };
        let mut heads = gpt3_175b();
        heads.heads = 100;
        heads.hidden = 12_300;
        assert!(
            l.validate(&heads, 8, None)
                .unwrap_err()
                .to_string()
                .contains("heads")
        );
    }

    #[test]
    fn the_interleaved_schedule_needs_micro_batches_in_multiples_of_pp() {
        // Megatron-LM's interleaved 1F1B (schedules.py,
        // forward_backward_pipelining_with_interleaving) refuses a
        // micro-batch count that pp does not divide.
        let m = gpt3_175b();
        let l = Layout {
            virtual_stages: 2,
            ..Layout::new(8, 8, 4, 1, 4 * 12)
        };
        assert_eq!(l.micro_batches(), 12);
        let e = l.validate(&m, 8, None).unwrap_err().to_string();
        assert!(e.contains("multiple of pp"), "{e}");
        assert!(e.contains("global_batch"), "{e}");
        Layout {
            global_batch: 4 * 16,
            ..l.clone()
        }
        .validate(&m, 8, None)
        .unwrap();
        // Plain 1F1B has no such rule.
        Layout {
            virtual_stages: 1,
            ..l
        }
        .validate(&m, 8, None)
        .unwrap();
    }

    #[test]
    fn llama3_balanced_stages_hold_one_layer_fewer_at_the_ends() {
        // Dubey et al. 2024, §3.3.2: first and last stage one layer fewer;
        // 126 layers over PP 16 -> 8 per rank, 7 on the first and last.
        let l = Layout {
            virtual_stages: 8,
            balance_embedding_stages: true,
            ..Layout::new(8, 16, 128, 1, 2048)
        };
        let m = llama3_405b();
        l.validate(&m, 8, Some(16_384)).unwrap();
        assert_eq!(l.stage_layers(&m), (7, 8, 7));
        let unbalanced = Layout {
            balance_embedding_stages: false,
            ..l
        };
        assert!(unbalanced.validate(&m, 8, None).is_err());
    }
}
