//! Validation of `workload.training`: each training job's model, layout,
//! precision and work, checked against the hardware of its partition
//! (memory included) before the run starts.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::policy::{PolicyFields, PolicyOf};
use super::workload::Context;
use super::{Error, Issues};
use crate::collective::analytic::{Links, Nccl};
use crate::engine::{SimDuration, SimTime};
use crate::text::did_you_mean;
use crate::training::{self, AttentionKernel, Ffn, Layout, ModelSpec, Moe, Precision, Recompute};
use crate::workload::{JobRequest, SubmittedJob, TrainingSpec};

/// Without a limit (from the job or its partition) a training job may run
/// this many times its time on a non-blocking fabric.
pub const DEFAULT_LIMIT_FACTOR: f64 = 2.0;

/// Largest step count accepted; more is surely a typo.
const MAX_STEPS: u64 = 1_000_000_000;

impl Context<'_> {
    /// `workload.models` and `workload.training`.
    pub(super) fn training_jobs(&mut self, w: &file::Workload) {
        let models: Vec<ModelSpec> = w.models.iter().map(convert_model).collect();
        for (i, m) in models.iter().enumerate() {
            let path = index_path("workload.models", i);
            if let Err(e) = m.validate() {
                self.issues.error(Error {
                    path: &path,
                    message: "this model shape is invalid",
                    found: &m.name,
                    expected: "a consistent model shape",
                    fix: &e.message,
                });
            }
            if training::model::preset(&m.name).is_some()
                || models[..i].iter().any(|o| o.name == m.name)
            {
                self.issues.error(Error {
                    path: &field_path(&path, "name"),
                    message: &format!("the model name `{}` is already taken", m.name),
                    found: &format!("\"{}\"", m.name),
                    expected: "a name no preset and no other model uses",
                    fix: "rename the model; training jobs refer to it by name",
                });
            }
        }
        // Times are read even without a cluster, to report misspellings.
        let times: Vec<_> = w
            .training
            .iter()
            .enumerate()
            .map(|(i, job)| {
                let path = index_path("workload.training", i);
                let submit = self
                    .issues
                    .quantity(&field_path(&path, "submit"), &job.submit);
                let limit = self
                    .issues
                    .optional(&field_path(&path, "time_limit"), job.time_limit.as_ref());
                (submit, limit)
            })
            .collect();
        let Some(cluster) = self.cluster else {
            return;
        };
        for (i, (job, times)) in w.training.iter().zip(times).enumerate() {
            let path = index_path("workload.training", i);
            let Some(model) = resolve_model(&path, &job.model, &models, self.issues) else {
                continue;
            };
            let Some((partition, qos)) =
                self.resolve(&path, job.partition.as_deref(), job.qos.as_deref())
            else {
                continue;
            };
            let part = &self.scheduler.partitions[partition as usize];
            // The partition's hardware: training jobs need one GPU model.
            let mut groups = (0..cluster.node_count() as u32)
                .filter(|&n| part.nodes.contains(n))
                .map(|n| cluster.nodes[n as usize].group);
            let Some(first) = groups.next() else {
                continue;
            };
            let group = &cluster.groups[first as usize];
            if groups.any(|g| cluster.groups[g as usize].gpu_model.name != group.gpu_model.name) {
                self.issues.error(Error {
                    path: &field_path(&path, "partition"),
                    message: "a training job needs nodes of one GPU model",
                    found: &format!("partition `{}` mixes GPU models", part.name),
                    expected: "a partition whose nodes share a GPU model",
                    fix: "run training jobs in a partition of one node group",
                });
                continue;
            }
            let layout = &convert_layout(&job.layout);
            let layout_path = field_path(&path, "layout");
            if let Err(e) = layout.validate(&model, group.nvlink_domain_gpus(), None) {
                self.issues.error(Error {
                    path: &layout_path,
                    message: "this layout cannot run",
                    found: &layout_summary(layout),
                    expected: "a valid layout",
                    fix: &e.message,
                });
                continue;
            }
            let gpus = layout.gpus();
            let gpn = u64::from(group.gpus_per_node);
            let request = if gpus <= gpn {
                JobRequest::Gpus(gpus as u32)
            } else if gpus.is_multiple_of(gpn) {
                JobRequest::Nodes {
                    count: (gpus / gpn) as u32,
                    gpus_per_node: group.gpus_per_node,
                }
            } else {
                self.issues.error(Error {
                    path: &layout_path,
                    message: &format!("the layout's {gpus} GPUs do not fill whole {gpn}-GPU nodes"),
                    found: &layout_summary(layout),
                    expected: &format!("tp·pp·cp·dp a multiple of {gpn}"),
                    fix: "change dp (or tp, pp) so that the job takes whole nodes",
                });
                continue;
            };
            if self.never_fits(
                &layout_path,
                request,
                &part.nodes,
                (
                    "this training job can never fit on the cluster",
                    "a layout the cluster (or its partition) can hold when idle",
                ),
                "lower dp, or add nodes to the cluster or the partition",
            ) {
                continue;
            }
            let precision = match job.precision {
                None | Some(file::Precision::Bf16) => Precision::Bf16,
                Some(file::Precision::Fp8) => Precision::Fp8,
            };
            let comm = Nccl::new(Links::for_models(
                &group.gpu_model,
                &group.node_model,
                group.gpus_per_node,
            ));
            let ideal = match training::step(
                &model,
                layout,
                precision,
                &group.gpu_model,
                group.nvlink_domain_gpus(),
                &comm,
            ) {
                Ok(report) => report,
                Err(e) => {
                    self.issues.error(Error {
                        path: &layout_path,
                        message: &format!(
                            "this layout cannot train {} on {}",
                            model.name, group.gpu_model.name
                        ),
                        found: &layout_summary(layout),
                        expected: "a layout that fits in GPU memory",
                        fix: &e.message,
                    });
                    continue;
                }
            };
            let tokens_per_step = f64::from(layout.global_batch) * f64::from(model.seq_len);
            let steps = match (job.steps, job.tokens.as_deref()) {
                (Some(steps), None) if (1..=MAX_STEPS).contains(&steps) => steps,
                (Some(steps), None) => {
                    self.issues.error(Error {
                        path: &field_path(&path, "steps"),
                        message: "the step count must be between 1 and 10^9",
                        found: &steps.to_string(),
                        expected: "1 to 1000000000 steps",
                        fix: "give the number of optimizer steps to run",
                    });
                    continue;
                }
                (None, Some(text)) => match crate::units::parse_count(text) {
                    Ok(tokens) if (tokens / tokens_per_step).ceil() <= MAX_STEPS as f64 => {
                        ((tokens / tokens_per_step).ceil() as u64).max(1)
                    }
                    Ok(tokens) => {
                        self.issues.error(Error {
                            path: &field_path(&path, "tokens"),
                            message: &format!(
                                "{tokens:.3e} tokens at {tokens_per_step} tokens per step is more than 10^9 steps"
                            ),
                            found: &format!("\"{text}\""),
                            expected: &format!(
                                "at most {:.3e} tokens for this layout",
                                MAX_STEPS as f64 * tokens_per_step
                            ),
                            fix: "train on fewer tokens, or raise global_batch",
                        });
                        continue;
                    }
                    Err(_) => {
                        self.issues.error(Error {
                            path: &field_path(&path, "tokens"),
                            message: "not a token count",
                            found: &format!("\"{text}\""),
                            expected: "a count like \"20B\", \"1.5T\" or \"300M\"",
                            fix: "write the number of tokens with K, M, B or T",
                        });
                        continue;
                    }
                },
                (Some(_), Some(_)) => {
                    self.issues.error(Error {
                        path: &path,
                        message: "give the work as steps or as tokens, not both",
                        found: "steps and tokens",
                        expected: "one of steps, tokens",
                        fix: "remove one of the two",
                    });
                    continue;
                }
                (None, None) => {
                    self.issues.error(Error {
                        path: &path,
                        message: "a training job needs its work: steps or tokens",
                        found: "neither steps nor tokens",
                        expected: "steps: 1000 or tokens: \"20B\"",
                        fix: "add steps or tokens",
                    });
                    continue;
                }
            };
            let (Some(submit), Ok(given_limit)) = times else {
                continue;
            };
            let estimate = SimDuration::from_secs_f64(ideal.step_s * steps as f64);
            let time_limit = match given_limit {
                Some(l) if l.is_zero() => {
                    self.issues.error(Error {
                        path: &field_path(&path, "time_limit"),
                        message: "a time limit of zero would kill the job at once",
                        found: "\"0s\"",
                        expected: "a limit above zero",
                        fix: "give the limit the user asked for, or leave it out",
                    });
                    continue;
                }
                Some(l) => l,
                None => part
                    .default_time
                    .unwrap_or_else(|| estimate.mul_f64_ceil(DEFAULT_LIMIT_FACTOR)),
            };
            let fields = PolicyFields {
                checkpoint: job.checkpoint.as_ref(),
                recovery: job.recovery,
                requeue: job.requeue,
            };
            let of = PolicyOf {
                nodes: Some(request.min_nodes(group.gpus_per_node)),
                model: Some(&model),
            };
            let Some(policy) = self.policy(&path, fields, of) else {
                continue;
            };
            let name = job
                .name
                .clone()
                .unwrap_or_else(|| format!("train{}", i + 1));
            let index = self.spec.training.len() as u32;
            self.spec.training.push(TrainingSpec {
                model,
                layout: layout.clone(),
                precision,
                steps,
                gpu: group.gpu_model.clone(),
                node: group.node_model.clone(),
                gpus_per_node: group.gpus_per_node,
                ideal,
            });
            self.origin(&path);
            self.spec.jobs.push(SubmittedJob {
                name: self.directory.job_name(&name),
                user: self.directory.user(job.user.as_deref().unwrap_or("user")),
                account: self
                    .directory
                    .account(job.account.as_deref().unwrap_or("default")),
                submit: SimTime::ZERO + submit,
                request,
                runtime: estimate,
                time_limit: time_limit.max(SimDuration::from_ns(1)),
                partition,
                qos,
                nice: job.nice.unwrap_or(0),
                training: Some(index),
                trace_id: None,
                policy,
                share: crate::workload::GpuShare::Whole,
                gpu_type: 0,
                queue: 0,
                priority: 0,
            });
        }
    }
}

fn resolve_model(
    path: &str,
    name: &str,
    custom: &[ModelSpec],
    issues: &mut Issues,
) -> Option<ModelSpec> {
    if let Some(m) = custom.iter().find(|m| m.name == name) {
        return Some(m.clone());
    }
    if let Some(m) = training::model::preset(name) {
        return Some(m);
    }
    let known: Vec<&str> = training::model::PRESETS
        .iter()
        .copied()
        .chain(custom.iter().map(|m| m.name.as_str()))
        .collect();
    let fix = match did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "name a preset, or describe the model under workload.models".to_string(),
    };
    issues.error(Error {
        path: &field_path(path, "model"),
        message: &format!("unknown model `{name}`"),
        found: &format!("\"{name}\""),
        expected: &format!("one of {}", known.join(", ")),
        fix: &fix,
    });
    None
}

fn layout_summary(l: &Layout) -> String {
    format!(
        "tp {} pp {} dp {} cp {}, micro-batch {}, global batch {}",
        l.tp, l.pp, l.dp, l.cp, l.micro_batch, l.global_batch
    )
}

/// A model shape as written, in the model's terms.
pub(in crate::scenario) fn convert_model(m: &file::ModelSpec) -> ModelSpec {
    ModelSpec {
        name: m.name.clone(),
        parameters: m.parameters,
        layers: m.layers,
        hidden: m.hidden,
        ffn_hidden: m.ffn_hidden,
        heads: m.heads,
        kv_heads: m.kv_heads,
        seq_len: m.seq_len,
        vocab: m.vocab,
        ffn: match m.ffn {
            file::Ffn::Gelu => Ffn::Gelu,
            file::Ffn::SwiGlu => Ffn::SwiGlu,
        },
        moe: m.moe.as_ref().map(|moe| Moe {
            experts: moe.experts,
            top_k: moe.top_k,
            expert_ffn_hidden: moe.expert_ffn_hidden,
        }),
        biases: m.biases,
        tied_embeddings: m.tied_embeddings,
        learned_positions: m.learned_positions,
        dropout: m.dropout,
        causal: m.causal,
    }
}

fn convert_layout(l: &file::Layout) -> Layout {
    Layout {
        tp: l.tp,
        pp: l.pp,
        virtual_stages: l.virtual_stages,
        dp: l.dp,
        cp: l.cp,
        ep: l.ep,
        micro_batch: l.micro_batch,
        global_batch: l.global_batch,
        zero_stage: l.zero_stage,
        recompute: match l.recompute {
            file::Recompute::None => Recompute::None,
            file::Recompute::Selective => Recompute::Selective,
            file::Recompute::Full => Recompute::Full,
        },
        sequence_parallel: l.sequence_parallel,
        attention: match l.attention {
            file::AttentionKernel::Unfused => AttentionKernel::Unfused,
            file::AttentionKernel::Flash => AttentionKernel::Flash,
        },
        overlap_grad_reduce: l.overlap_grad_reduce,
        overlap_p2p_comm: l.overlap_p2p_comm,
        balance_embedding_stages: l.balance_embedding_stages,
    }
}
