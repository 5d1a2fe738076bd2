//! A node's `Gres=` and the catalog GPU it stands for.
//!
//! `Gres=gpu:h100:8` (name, optional type, count, optional `(S:0-1)`
//! socket binding; several comma-separated) gives the node's GPU type and
//! count. The type maps to a catalog model by the family its name
//! contains (`h100`, `nvidia_h100_80gb_hbm3` → H100-SXM-80GB), or by the
//! user's `--gpu-model TYPE=MODEL`; anything else is refused with the
//! catalog's names, so no node silently gets a wrong GPU.

use super::conf::Place;
use crate::hardware::Catalog;
use crate::text::{FileError, did_you_mean};

/// GPUs of a node: the Gres type (`""` when untyped) and the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuGres {
    pub kind: String,
    pub count: u32,
}

const GRES_EXPECTED: &str = "gpu[:type]:count, e.g. gpu:h100:8 (several separated by commas)";

/// The GPUs of a `Gres=` value, `None` if it names no `gpu`.
pub fn parse_gres(value: &str, at: &Place) -> Result<Option<GpuGres>, FileError> {
    let mut found: Option<GpuGres> = None;
    let mut offset = 0;
    for item in split_outside_parens(value) {
        let here = at.within(offset, item.len());
        offset += item.len() + 1;
        let spec = item.split('(').next().unwrap_or(item);
        let fields: Vec<&str> = spec.split(':').collect();
        if !fields[0].eq_ignore_ascii_case("gpu") {
            continue;
        }
        let (kind, count) = match fields.as_slice() {
            [_, c] if c.bytes().all(|b| b.is_ascii_digit()) && !c.is_empty() => ("", *c),
            [_, kind, c] => (*kind, *c),
            [_, kind, flag, c] if flag.eq_ignore_ascii_case("no_consume") => (*kind, *c),
            _ => {
                return Err(here.error(
                    format!("the Gres `{item}` gives no GPU count"),
                    GRES_EXPECTED,
                    format!(
                        "write the count of GPUs per node, e.g. Gres={}:8 (Slurm would count one GPU, which on a GPU node is almost always a mistake)",
                        spec
                    ),
                ));
            }
        };
        let count = parse_count(count).ok_or_else(|| {
            here.error(
                format!("the GPU count of `{item}` is not a number"),
                GRES_EXPECTED,
                "write the count as a whole number of GPUs per node, e.g. gpu:h100:8",
            )
        })?;
        if let Some(first) = &found {
            if first.kind != kind {
                return Err(here.error(
                    format!(
                        "a node with two GPU types (`{}` and `{kind}`)",
                        first.kind
                    ),
                    "one GPU type per node",
                    "split the node into one NodeName line per GPU type, or keep the type the study is about",
                ));
            }
            found = Some(GpuGres {
                kind: kind.to_string(),
                count: first.count + count,
            });
        } else {
            found = Some(GpuGres {
                kind: kind.to_string(),
                count,
            });
        }
    }
    Ok(found)
}

/// A Gres count: digits with an optional K/M/G multiplier, as Slurm allows.
fn parse_count(text: &str) -> Option<u32> {
    let (digits, scale) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 1_024),
        (i, 'm' | 'M') => (&text[..i], 1_048_576),
        (i, 'g' | 'G') => (&text[..i], 1_073_741_824),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok()?.checked_mul(scale)
}

fn split_outside_parens(value: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in value.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// Families recognised in a Gres type, most specific first: (text the
/// lower-cased type contains, catalog model).
const FAMILIES: &[(&str, &str)] = &[
    ("h100", "H100-SXM-80GB"),
    ("h200", "H200-SXM-141GB"),
    ("h800", "H800-SXM-80GB"),
    ("h20", "H20-96GB"),
    ("gb200", "GB200"),
    ("gb300", "GB300"),
    ("b200", "B200"),
    ("a800", "A800-SXM-80GB"),
    ("a100_40", "A100-SXM-40GB"),
    ("a100-40", "A100-SXM-40GB"),
    ("a100", "A100-SXM-80GB"),
    ("l40s", "L40S"),
    ("4090", "RTX-4090"),
];

/// Marks of a variant the families above do not describe (H100 NVL and
/// PCIe cards, MIG slices such as `nvidia_a100_1g.10gb`): a type with one
/// needs the user's `--gpu-model`, never the SXM model of its family.
const VARIANTS: &[&str] = &["nvl", "pcie", "mig", "1g.", "2g.", "3g.", "4g.", "7g."];

/// The catalog GPU model of Gres type `kind`: the user's mapping first
/// (`--gpu-model TYPE=MODEL`, `gpu` standing for an untyped Gres), then
/// the families above.
pub fn catalog_model(
    kind: &str,
    mappings: &[(String, String)],
    catalog: &Catalog,
    at: &Place,
) -> Result<String, FileError> {
    let shown = if kind.is_empty() { "gpu" } else { kind };
    if let Some((_, model)) = mappings.iter().find(|(k, _)| k.eq_ignore_ascii_case(shown)) {
        return Ok(model.clone());
    }
    let lower = kind.to_ascii_lowercase();
    let variant = VARIANTS.iter().any(|v| lower.contains(v));
    if let Some((_, model)) = FAMILIES.iter().find(|(f, _)| !variant && lower.contains(f)) {
        return Ok((*model).to_string());
    }
    let models: Vec<&str> = catalog.gpu_names().collect();
    let hint = did_you_mean(shown, models.iter().copied())
        .map(|m| format!(" (did you mean {m}?)"))
        .unwrap_or_default();
    Err(at.error(
        if kind.is_empty() {
            "the Gres names no GPU type, so the catalog model is unknown".to_string()
        } else {
            format!("the GPU type `{kind}` matches no catalog model")
        },
        format!("a GPU type the catalog knows: {}", models.join(", ")),
        format!(
            "map it with --gpu-model {shown}=MODEL, MODEL one of the catalog's{hint}, or a model the scenario adds"
        ),
    ))
}

/// Checks a `--gpu-model TYPE=MODEL` argument's model against the catalog.
pub fn check_mapping(model: &str, catalog: &Catalog) -> Result<(), String> {
    if catalog.gpu(model).is_some() {
        return Ok(());
    }
    let models: Vec<&str> = catalog.gpu_names().collect();
    let hint = did_you_mean(model, models.iter().copied())
        .map(|m| format!("did you mean {m}? "))
        .unwrap_or_default();
    Err(format!(
        "--gpu-model: `{model}` is not a catalog GPU model; {hint}the catalog has {}",
        models.join(", ")
    ))
}

/// The catalog node model for nodes of GPU `gpu`: the one built around
/// that GPU, else one around the same family (A100 40GB in a DGX A100),
/// else the generic 8-GPU PCIe server with the GPU overridden. Cloud
/// instance models (`AWS-...`) are never picked for a slurm.conf's nodes:
/// their NICs are the cloud's, not an on-premises cluster's.
pub fn node_model_for(gpu: &str, catalog: &Catalog) -> String {
    let family = |g: &str| g.split('-').next().unwrap_or(g).to_string();
    let nodes: Vec<_> = catalog
        .node_names()
        .filter(|n| !n.starts_with("AWS-"))
        .filter_map(|n| catalog.node(n))
        .collect();
    nodes
        .iter()
        .find(|n| n.gpu_model == gpu)
        .or_else(|| nodes.iter().find(|n| family(&n.gpu_model) == family(gpu)))
        .map_or_else(|| "PCIe-8GPU".to_string(), |n| n.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Place {
        Place {
            path: "s.conf".into(),
            line: 1,
            text: "Gres=x".into(),
            span: 5..6,
        }
    }

    #[test]
    fn gres_forms() {
        let g = |v: &str| parse_gres(v, &at()).unwrap();
        assert_eq!(
            g("gpu:h100:8"),
            Some(GpuGres {
                kind: "h100".into(),
                count: 8
            })
        );
        assert_eq!(
            g("gpu:4"),
            Some(GpuGres {
                kind: "".into(),
                count: 4
            })
        );
        assert_eq!(
            g("gpu:a100:4(S:0-1),mps:400"),
            Some(GpuGres {
                kind: "a100".into(),
                count: 4
            })
        );
        assert_eq!(
            g("gpu:v100:2(S:0),gpu:v100:2(S:1)"),
            Some(GpuGres {
                kind: "v100".into(),
                count: 4
            })
        );
        assert_eq!(g("mps:100"), None);
        assert!(
            parse_gres("gpu:h100", &at())
                .unwrap_err()
                .message
                .contains("no GPU count")
        );
        assert!(parse_gres("gpu:a100:2,gpu:v100:2", &at()).is_err());
    }

    #[test]
    fn types_map_to_catalog_models() {
        let catalog = Catalog::builtin();
        let m = |k: &str| catalog_model(k, &[], &catalog, &at()).unwrap();
        assert_eq!(m("h100"), "H100-SXM-80GB");
        assert_eq!(m("nvidia_h100_80gb_hbm3"), "H100-SXM-80GB");
        assert_eq!(m("a100"), "A100-SXM-80GB");
        assert_eq!(m("gb200"), "GB200", "not the HGX B200");
        assert_eq!(m("nvidia_h20"), "H20-96GB");
        assert_eq!(m("h200"), "H200-SXM-141GB", "not the H20");
        assert_eq!(m("a100_40g"), "A100-SXM-40GB");
        // Variants of a family the catalog does not hold are asked for,
        // not given the SXM model: an H100 NVL is a 94 GB PCIe card, a MIG
        // slice a seventh of an A100.
        for variant in [
            "h100nvl",
            "nvidia_h100_nvl",
            "a100-pcie-40gb",
            "nvidia_a100_1g.10gb",
        ] {
            let e = catalog_model(variant, &[], &catalog, &at()).unwrap_err();
            assert!(e.fix.contains("--gpu-model"), "{variant}: {}", e.fix);
        }
        let e = catalog_model("v100", &[], &catalog, &at()).unwrap_err();
        assert!(e.fix.contains("--gpu-model v100=MODEL"), "{}", e.fix);
        let mapped = [("v100".to_string(), "A100-SXM-40GB".to_string())];
        assert_eq!(
            catalog_model("V100", &mapped, &catalog, &at()).unwrap(),
            "A100-SXM-40GB"
        );
        assert_eq!(node_model_for("H100-SXM-80GB", &catalog), "DGX-H100");
        assert_eq!(node_model_for("A100-SXM-40GB", &catalog), "DGX-A100");
        assert_eq!(node_model_for("B200", &catalog), "DGX-B200");
        assert_eq!(node_model_for("GB200", &catalog), "GB200-NVL72-tray");
        assert_eq!(node_model_for("RTX-4090", &catalog), "PCIe-8GPU");
    }
}
