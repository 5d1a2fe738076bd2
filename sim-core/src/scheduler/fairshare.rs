//! Fair-share accounting: the association tree, decayed usage, and Slurm's
//! two fair-share factors (Fair Tree and Classic).
//!
//! Job: keep, for every account and every user association (a user within
//! an account), the raw shares it was configured with and the usage it has
//! consumed, decayed with a half-life; and turn those into a fair-share
//! factor in `[0, 1]` per user association, as Slurm's `priority/multifactor`
//! plugin does. [`crate::scheduler::priority`] weighs that factor with the
//! others.
//!
//! Sources (the formulas below follow these pages; section names in the
//! comments of each function):
//! - <https://slurm.schedmd.com/priority_multifactor.html> (knobs, defaults);
//! - <https://slurm.schedmd.com/fair_tree.html> (Fair Tree, Slurm's default
//!   since 19.05);
//! - <https://slurm.schedmd.com/classic_fair_share.html> (the classic
//!   algorithm, `PriorityFlags=NO_FAIR_TREE`).
//!
//! Slurm knobs and their Slurm defaults:
//! - `Fairshare=` raw shares of an account or user association (sacctmgr),
//!   default 1. `Fairshare=parent` is not modelled.
//! - `PriorityDecayHalfLife`, default `7-0` (7 days); 0 means no decay
//!   ([`DEFAULT_DECAY_HALF_LIFE`], [`AccountTree::decay`]).
//! - `PriorityUsageResetPeriod`, default `NONE` ([`UsageReset`]).
//! - `PriorityFlags=NO_FAIR_TREE` selects the classic algorithm; Fair Tree
//!   is the default ([`FairshareAlgorithm`]).
//! - `FairShareDampeningFactor` is fixed at its default, 1.
//!
//! Invariants:
//! - the tree is built once and never changes shape; accounts and user
//!   associations live in `Vec`s and are named by index ([`AccountAssoc`],
//!   [`UserAssoc`]); children keep the order of the scenario, so every
//!   result is a function of the input alone (no hash-map iteration);
//! - raw usage is charged to a user association and to every ancestor up
//!   to and including the implicit root, so an account's usage is the sum
//!   of its subtree's (up to floating-point rounding) and the root's usage
//!   is the total that classic normalises against;
//! - usage is finite and non-negative: [`AccountTree::charge`] ignores
//!   negative, NaN and infinite amounts;
//! - every factor returned is in `[0, 1]`; no input panics.
//!
//! Siblings: as in Slurm, the siblings of an association are all children
//! of its parent account, users and sub-accounts alike, and "siblings'
//! shares" is the sum of their raw shares (Slurm's `level_shares`).

use std::collections::HashMap;

use crate::engine::SimDuration;

/// `PriorityDecayHalfLife` Slurm default: `7-0`, seven days
/// (priority_multifactor.html, "Configuration").
pub const DEFAULT_DECAY_HALF_LIFE: SimDuration = SimDuration::from_secs(7 * DAY_SECS);

/// Deepest account nesting accepted below the root. Slurm has no such
/// limit; it bounds the recursion of the Fair Tree traversal.
pub const MAX_ACCOUNT_DEPTH: usize = 256;

const DAY_SECS: u64 = 24 * 60 * 60;

/// Name of the implicit root account (Slurm's `root` association).
pub const ROOT_ACCOUNT: &str = "root";

/// An account association (Slurm's term for an account in the tree) of an
/// [`AccountTree`]; `AccountAssoc(0)` is the implicit root. Not to be
/// confused with [`crate::workload::AccountId`], which indexes the
/// workload's account names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountAssoc(pub u32);

/// A user association (a user within one account); indexes the vectors
/// returned by [`AccountTree::classic_factors`] and
/// [`AccountTree::fair_tree_factors`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserAssoc(pub u32);

/// One account as the scenario configures it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSpec {
    pub name: String,
    /// Parent account; `None` puts the account directly under the root.
    pub parent: Option<String>,
    /// Slurm `Fairshare=` raw shares of the account within its parent
    /// (sacctmgr default 1).
    pub shares: u32,
    /// User associations in this account: (user name, raw shares).
    pub users: Vec<(String, u32)>,
}

/// Which fair-share factor feeds the job priority.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FairshareAlgorithm {
    /// `PriorityFlags=NO_FAIR_TREE`: classic_fair_share.html.
    Classic,
    /// Fair Tree, Slurm's default since 19.05: fair_tree.html.
    #[default]
    FairTree,
}

/// `PriorityUsageResetPeriod`: how often the caller should call
/// [`AccountTree::reset_usage`]. Slurm default `NONE`.
///
/// Slurm resets at calendar boundaries (midnight, Sunday 00:00, the first
/// of the month, ...). Simulated time has no calendar, so periods are fixed
/// lengths counted from the start of the simulation: a month is 30 days, a
/// quarter 91 days and a year 365 days. Slurm's `NOW` (clear once at
/// start-up) is what every simulation starts with, so it has no variant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UsageReset {
    /// Never clear usage (Slurm default).
    #[default]
    None,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl UsageReset {
    /// The reset period, `None` for [`UsageReset::None`].
    pub fn period(&self) -> Option<SimDuration> {
        let days = match self {
            UsageReset::None => return None,
            UsageReset::Daily => 1,
            UsageReset::Weekly => 7,
            UsageReset::Monthly => 30,
            UsageReset::Quarterly => 91,
            UsageReset::Yearly => 365,
        };
        Some(SimDuration::from_secs(days * DAY_SECS))
    }
}

/// A child of an account: a sub-account or a user association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Account(u32),
    User(u32),
}

#[derive(Clone, Debug)]
struct Account {
    name: String,
    /// `None` only for the root.
    parent: Option<u32>,
    shares: u32,
    /// Users first, then sub-accounts, each in scenario order.
    children: Vec<Node>,
    /// Sum of the children's raw shares (Slurm's `level_shares`).
    children_shares: u64,
    usage: f64,
}

#[derive(Clone, Debug)]
struct User {
    name: String,
    account: u32,
    shares: u32,
    usage: f64,
}

/// The association tree: root -> accounts (possibly nested) -> users, with
/// raw shares and decayed raw usage. Built once from the scenario.
#[derive(Clone, Debug)]
pub struct AccountTree {
    accounts: Vec<Account>,
    users: Vec<User>,
    /// Accounts directly under the root, in scenario order.
    top_level: Vec<AccountAssoc>,
}

impl AccountTree {
    /// Builds the tree. Errors: an empty or duplicate account name, an
    /// account named `root` (the root is implicit), an unknown parent, a
    /// parent cycle, nesting deeper than [`MAX_ACCOUNT_DEPTH`], a user
    /// listed twice in one account, an empty user name, no accounts, or
    /// zero shares on every account under the root.
    pub fn new(specs: &[AccountSpec]) -> Result<Self, String> {
        if specs.is_empty() {
            return Err("the fair-share tree needs at least one account".into());
        }
        // Name lookup only; nothing iterates this map.
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut accounts = vec![Account {
            name: ROOT_ACCOUNT.to_string(),
            parent: None,
            shares: 1,
            children: Vec::new(),
            children_shares: 0,
            usage: 0.0,
        }];
        for spec in specs {
            if spec.name.is_empty() {
                return Err("an account has an empty name".into());
            }
            if spec.name == ROOT_ACCOUNT {
                return Err(format!(
                    "account name `{ROOT_ACCOUNT}` is reserved for the implicit root; \
                     give top-level accounts no parent instead"
                ));
            }
            let id = u32::try_from(accounts.len()).map_err(|_| "too many accounts".to_string())?;
            if index.insert(spec.name.as_str(), id).is_some() {
                return Err(format!("account `{}` is defined twice", spec.name));
            }
            accounts.push(Account {
                name: spec.name.clone(),
                parent: None,
                shares: spec.shares,
                children: Vec::new(),
                children_shares: 0,
                usage: 0.0,
            });
        }
        for (i, spec) in specs.iter().enumerate() {
            let parent = match &spec.parent {
                None => 0,
                Some(p) if p == ROOT_ACCOUNT => 0,
                Some(p) => *index
                    .get(p.as_str())
                    .ok_or_else(|| format!("account `{}` has unknown parent `{p}`", spec.name))?,
            };
            accounts[i + 1].parent = Some(parent);
        }
        // Every account must reach the root within the depth limit; a
        // cycle never does.
        for (i, spec) in specs.iter().enumerate() {
            let mut at = i + 1;
            let mut depth = 0;
            while let Some(p) = accounts[at].parent {
                at = p as usize;
                depth += 1;
                if depth > specs.len() {
                    return Err(format!("account `{}` is part of a parent cycle", spec.name));
                }
            }
            if depth > MAX_ACCOUNT_DEPTH {
                return Err(format!(
                    "account `{}` is nested deeper than {MAX_ACCOUNT_DEPTH} levels",
                    spec.name
                ));
            }
        }

        let mut users = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let account = i + 1;
            for (j, (name, shares)) in spec.users.iter().enumerate() {
                if name.is_empty() {
                    return Err(format!(
                        "account `{}` has a user with an empty name",
                        spec.name
                    ));
                }
                if spec.users[..j].iter().any(|(other, _)| other == name) {
                    return Err(format!(
                        "user `{name}` is listed twice in account `{}`",
                        spec.name
                    ));
                }
                let id = u32::try_from(users.len())
                    .map_err(|_| "too many user associations".to_string())?;
                users.push(User {
                    name: name.clone(),
                    account: account as u32,
                    shares: *shares,
                    usage: 0.0,
                });
                accounts[account].children.push(Node::User(id));
                accounts[account].children_shares += u64::from(*shares);
            }
        }
        let mut top_level = Vec::new();
        for i in 1..accounts.len() {
            let parent = accounts[i].parent.unwrap_or(0) as usize;
            let shares = u64::from(accounts[i].shares);
            accounts[parent].children.push(Node::Account(i as u32));
            accounts[parent].children_shares += shares;
            if parent == 0 {
                top_level.push(AccountAssoc(i as u32));
            }
        }
        if accounts[0].children_shares == 0 {
            return Err("every top-level account has zero shares".into());
        }
        Ok(AccountTree {
            accounts,
            users,
            top_level,
        })
    }

    /// The association of `user` in `account`, if configured.
    pub fn user_assoc(&self, account: &str, user: &str) -> Option<UserAssoc> {
        let a = self.account_assoc(account)?;
        self.accounts[a.0 as usize]
            .children
            .iter()
            .find_map(|c| match *c {
                Node::User(u) if self.users[u as usize].name == user => Some(UserAssoc(u)),
                _ => None,
            })
    }

    /// The account called `name` (`"root"` is the root).
    pub fn account_assoc(&self, name: &str) -> Option<AccountAssoc> {
        self.accounts
            .iter()
            .position(|a| a.name == name)
            .map(|i| AccountAssoc(i as u32))
    }

    /// The implicit root account.
    pub fn root(&self) -> AccountAssoc {
        AccountAssoc(0)
    }

    /// Number of user associations (Slurm's `g_user_assoc_count`).
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Number of accounts, the root included.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The account a user association charges.
    pub fn account_of(&self, u: UserAssoc) -> AccountAssoc {
        AccountAssoc(self.user(u).map_or(0, |user| user.account))
    }

    /// The parent of an account; `None` for the root (and unknown ids).
    pub fn parent_of(&self, a: AccountAssoc) -> Option<AccountAssoc> {
        self.accounts
            .get(a.0 as usize)
            .and_then(|acc| acc.parent)
            .map(AccountAssoc)
    }

    /// An account's name (`""` for an unknown id).
    pub fn account_name(&self, a: AccountAssoc) -> &str {
        self.accounts.get(a.0 as usize).map_or("", |acc| &acc.name)
    }

    /// A user association's user name (`""` for an unknown id).
    pub fn user_name(&self, u: UserAssoc) -> &str {
        self.user(u).map_or("", |user| &user.name)
    }

    /// Accounts directly under the root, in scenario order.
    pub fn top_level_accounts(&self) -> &[AccountAssoc] {
        &self.top_level
    }

    /// The account directly under the root that `a` is in: `a` itself
    /// when it is top-level, the root for the root (and unknown ids).
    pub fn top_level_of(&self, a: AccountAssoc) -> AccountAssoc {
        let mut at = a;
        while let Some(parent) = self.parent_of(at) {
            if parent == self.root() {
                return at;
            }
            at = parent;
        }
        self.root()
    }

    /// An account's raw shares within its parent (Slurm's `Fairshare=`;
    /// 0 for an unknown id).
    pub fn raw_shares(&self, a: AccountAssoc) -> u32 {
        self.accounts.get(a.0 as usize).map_or(0, |acc| acc.shares)
    }

    /// An account's configured normalized share of the whole machine: the
    /// product down the tree of `shares / siblings' shares`
    /// (classic_fair_share.html, "Normalized Shares"). The root has 1.
    pub fn normalized_shares(&self, a: AccountAssoc) -> f64 {
        let mut at = a.0 as usize;
        if at >= self.accounts.len() {
            return 0.0;
        }
        let mut s = 1.0;
        while let Some(p) = self.accounts[at].parent {
            s *= share_ratio(
                self.accounts[at].shares,
                self.accounts[p as usize].children_shares,
            );
            at = p as usize;
        }
        s
    }

    /// An account's decayed raw usage (its whole subtree's charges).
    pub fn raw_usage(&self, a: AccountAssoc) -> f64 {
        self.accounts.get(a.0 as usize).map_or(0.0, |acc| acc.usage)
    }

    /// A user association's decayed raw usage.
    pub fn user_raw_usage(&self, u: UserAssoc) -> f64 {
        self.user(u).map_or(0.0, |user| user.usage)
    }

    /// Adds raw usage (e.g. GPU-seconds, or a TRES-billing-weighted sum) to
    /// a user association and all its ancestors, the root included.
    /// Negative, NaN and infinite amounts and unknown ids are ignored.
    pub fn charge(&mut self, who: UserAssoc, usage: f64) {
        if !(usage.is_finite() && usage > 0.0) {
            return;
        }
        let Some(user) = self.users.get_mut(who.0 as usize) else {
            return;
        };
        user.usage += usage;
        let mut at = Some(user.account);
        while let Some(a) = at {
            let acc = &mut self.accounts[a as usize];
            acc.usage += usage;
            at = acc.parent;
        }
    }

    /// Decays all raw usage by `2^(-elapsed / half_life)`
    /// (`PriorityDecayHalfLife`, Slurm default 7 days,
    /// [`DEFAULT_DECAY_HALF_LIFE`]); a zero half-life means no decay, as in
    /// Slurm. Slurm applies `(1 - 0.693/half_life)^seconds` every
    /// `PriorityCalcPeriod`, an approximation of the same curve; this uses
    /// the exact exponential, so the result does not depend on how often
    /// the caller decays.
    pub fn decay(&mut self, elapsed: SimDuration, half_life: SimDuration) {
        if half_life.is_zero() || elapsed.is_zero() {
            return;
        }
        let factor = (-(elapsed.as_ns() as f64) / half_life.as_ns() as f64).exp2();
        for acc in &mut self.accounts {
            acc.usage *= factor;
        }
        for user in &mut self.users {
            user.usage *= factor;
        }
    }

    /// Clears all usage (`PriorityUsageResetPeriod`; see [`UsageReset`]).
    pub fn reset_usage(&mut self) {
        for acc in &mut self.accounts {
            acc.usage = 0.0;
        }
        for user in &mut self.users {
            user.usage = 0.0;
        }
    }

    /// The factor of the chosen algorithm per user association.
    pub fn factors(&self, algorithm: FairshareAlgorithm) -> Vec<f64> {
        match algorithm {
            FairshareAlgorithm::Classic => self.classic_factors(),
            FairshareAlgorithm::FairTree => self.fair_tree_factors(),
        }
    }

    /// Classic fair share (`PriorityFlags=NO_FAIR_TREE`), per user
    /// association (index by `UserAssoc.0`), following
    /// classic_fair_share.html:
    ///
    /// - "Normalized Shares": `S = Π shares / siblings' shares` down the
    ///   tree;
    /// - "Normalized Usage": `U = U_H / R_H`, the decayed raw usage over the
    ///   root's decayed raw usage (0 when the root has none; capped at 1
    ///   as Slurm's `set_assoc_usage_norm` does);
    /// - "The Slurm Fair-Share Formula": effective usage
    ///   `U_E = U_Achild + (U_Eparent - U_Achild) * S_child / S_all_siblings`
    ///   (raw shares), except for accounts just under the root, whose
    ///   effective usage is their normalized usage; if all siblings have
    ///   zero shares, `U_E = U_Eparent` (Slurm's `_set_usage_efctv`);
    /// - `F = 2^(-U_E / S)`, and 0 when `S` is 0.
    pub fn classic_factors(&self) -> Vec<f64> {
        let root_usage = self.accounts[0].usage;
        let norm_usage = |raw: f64| {
            if root_usage > 0.0 {
                (raw / root_usage).clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        let n = self.accounts.len();
        let mut share = vec![0.0; n];
        let mut efctv = vec![0.0; n];
        share[0] = 1.0;
        efctv[0] = 1.0;
        let mut out = vec![0.0; self.users.len()];
        // Top-down: every account is visited after its parent.
        let mut stack = vec![0u32];
        while let Some(p) = stack.pop() {
            let parent = &self.accounts[p as usize];
            for &child in &parent.children {
                let (shares, raw) = match child {
                    Node::Account(a) => (
                        self.accounts[a as usize].shares,
                        self.accounts[a as usize].usage,
                    ),
                    Node::User(u) => (self.users[u as usize].shares, self.users[u as usize].usage),
                };
                let s = share[p as usize] * share_ratio(shares, parent.children_shares);
                let ua = norm_usage(raw);
                let ue = if parent.parent.is_none() {
                    ua
                } else if parent.children_shares == 0 {
                    efctv[p as usize]
                } else {
                    ua + (efctv[p as usize] - ua) * share_ratio(shares, parent.children_shares)
                };
                match child {
                    Node::Account(a) => {
                        share[a as usize] = s;
                        efctv[a as usize] = ue;
                        stack.push(a);
                    }
                    Node::User(u) => out[u as usize] = classic_factor(ue, s),
                }
            }
        }
        out
    }

    /// Fair Tree (Slurm's default since 19.05), per user association
    /// (index by `UserAssoc.0`), following fair_tree.html:
    ///
    /// - "Level Fairshare Calculation": `LF = S / U` with
    ///   `S = shares / siblings' shares` and `U = usage / parent's usage`
    ///   (the parent's usage is the siblings' total); `U = 0` gives
    ///   infinity, `S = 0` gives 0 (Slurm's `_calc_assoc_fs`);
    /// - "Algorithm": starting at the root with `rank = user count`, sort
    ///   the children by LF (highest first), visit them in that order,
    ///   give each user `rank / user count` and decrement the rank, and
    ///   descend into accounts, depth first;
    /// - "Ties": sibling users with equal LF get the same rank; a user with
    ///   the same LF as a sibling account gets the same rank as that
    ///   account's highest-ranked user (users sort before accounts on equal
    ///   LF, and the account's subtree starts out tied); sibling accounts
    ///   with equal LF have their children lists merged before descending.
    ///   After a tie the rank resumes where it would have been without it
    ///   (Slurm's "rank, no ties" counter), so the lowest factor is
    ///   `1 / user count` only without ties.
    ///
    /// The documentation's rule for tied accounts is what is implemented;
    /// the `_count_tied_accounts` in the fair_tree.c versions we read stops
    /// at the first sibling account, so those versions process tied
    /// accounts one after the other instead of merging them.
    pub fn fair_tree_factors(&self) -> Vec<f64> {
        let count = self.users.len();
        let mut out = vec![0.0; count];
        if count == 0 {
            return out;
        }
        let mut ranks = Ranks {
            rank: count,
            no_ties: count,
            count,
        };
        let root_children = self.accounts[0].children.clone();
        self.rank_level(root_children, false, &mut ranks, &mut out);
        out
    }

    /// One level of the Fair Tree traversal (Slurm's `_calc_tree_fs`).
    /// Recursion depth is bounded by [`MAX_ACCOUNT_DEPTH`].
    fn rank_level(
        &self,
        siblings: Vec<Node>,
        starts_tied: bool,
        ranks: &mut Ranks,
        out: &mut [f64],
    ) {
        let mut level: Vec<(Node, f64)> = siblings
            .into_iter()
            .map(|node| (node, self.level_fs(node)))
            .collect();
        // Highest LF first; on equal LF, users before accounts. Stable, so
        // remaining ties keep scenario order.
        level.sort_by(|(na, a), (nb, b)| {
            b.total_cmp(a).then_with(|| {
                let is_account = |n: &Node| matches!(n, Node::Account(_));
                is_account(na).cmp(&is_account(nb))
            })
        });
        let mut prev: Option<f64> = None;
        let mut i = 0;
        while i < level.len() {
            let (node, lf) = level[i];
            let tied = if i == 0 {
                starts_tied
            } else {
                prev == Some(lf)
            };
            match node {
                Node::User(u) => {
                    if !tied {
                        ranks.rank = ranks.no_ties;
                    }
                    out[u as usize] = ranks.rank as f64 / ranks.count as f64;
                    ranks.no_ties = ranks.no_ties.saturating_sub(1);
                }
                Node::Account(_) => {
                    let mut end = i + 1;
                    while end < level.len()
                        && matches!(level[end].0, Node::Account(_))
                        && level[end].1 == lf
                    {
                        end += 1;
                    }
                    let merged: Vec<Node> = level[i..end]
                        .iter()
                        .flat_map(|(n, _)| match *n {
                            Node::Account(a) => self.accounts[a as usize].children.clone(),
                            Node::User(_) => Vec::new(),
                        })
                        .collect();
                    self.rank_level(merged, tied, ranks, out);
                    i = end - 1;
                }
            }
            prev = Some(lf);
            i += 1;
        }
    }

    /// Level Fairshare of an association relative to its own parent.
    fn level_fs(&self, node: Node) -> f64 {
        let (shares, usage, parent) = match node {
            Node::Account(a) => {
                let acc = &self.accounts[a as usize];
                (acc.shares, acc.usage, acc.parent.unwrap_or(0))
            }
            Node::User(u) => {
                let user = &self.users[u as usize];
                (user.shares, user.usage, user.account)
            }
        };
        let parent = &self.accounts[parent as usize];
        let s = share_ratio(shares, parent.children_shares);
        if s == 0.0 {
            return 0.0;
        }
        let u = if parent.usage > 0.0 {
            usage / parent.usage
        } else {
            0.0
        };
        if u > 0.0 { s / u } else { f64::INFINITY }
    }

    fn user(&self, u: UserAssoc) -> Option<&User> {
        self.users.get(u.0 as usize)
    }
}

/// Rank counters of the Fair Tree traversal: the current rank, the rank
/// there would be without ties (Slurm's `rnt`), and the user count.
struct Ranks {
    rank: usize,
    no_ties: usize,
    count: usize,
}

fn share_ratio(shares: u32, siblings: u64) -> f64 {
    if siblings == 0 {
        0.0
    } else {
        f64::from(shares) / siblings as f64
    }
}

/// `F = 2^(-U_E / S)`, 0 when `S` is 0 (Slurm's `priority_p_calc_fs_factor`
/// with `FairShareDampeningFactor=1`).
fn classic_factor(usage_efctv: f64, shares_norm: f64) -> f64 {
    if shares_norm <= 0.0 {
        return 0.0;
    }
    (-(usage_efctv / shares_norm)).exp2().clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(
        name: &str,
        parent: Option<&str>,
        shares: u32,
        users: &[(&str, u32)],
    ) -> AccountSpec {
        AccountSpec {
            name: name.to_string(),
            parent: parent.map(str::to_string),
            shares,
            users: users.iter().map(|(u, s)| (u.to_string(), *s)).collect(),
        }
    }

    fn assoc(tree: &AccountTree, account: &str, user: &str) -> UserAssoc {
        tree.user_assoc(account, user).expect("configured user")
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn construction_errors() {
        let ok = account("a", None, 1, &[("u", 1)]);
        assert!(AccountTree::new(&[]).is_err());
        assert!(
            AccountTree::new(&[ok.clone(), ok.clone()])
                .unwrap_err()
                .contains("twice")
        );
        let orphan = account("b", Some("nope"), 1, &[]);
        assert!(
            AccountTree::new(&[ok.clone(), orphan])
                .unwrap_err()
                .contains("unknown parent")
        );
        let cycle = [
            account("x", Some("y"), 1, &[]),
            account("y", Some("x"), 1, &[]),
            ok.clone(),
        ];
        assert!(AccountTree::new(&cycle).unwrap_err().contains("cycle"));
        let self_parent = [account("x", Some("x"), 1, &[]), ok.clone()];
        assert!(
            AccountTree::new(&self_parent)
                .unwrap_err()
                .contains("cycle")
        );
        let zero = [
            account("a", None, 0, &[("u", 1)]),
            account("b", None, 0, &[]),
        ];
        assert!(AccountTree::new(&zero).unwrap_err().contains("zero shares"));
        let dup_user = [account("a", None, 1, &[("u", 1), ("u", 2)])];
        assert!(AccountTree::new(&dup_user).unwrap_err().contains("twice"));
        assert!(AccountTree::new(&[account("root", None, 1, &[])]).is_err());
        let deep: Vec<AccountSpec> = (0..=MAX_ACCOUNT_DEPTH)
            .map(|i| {
                let parent = (i > 0).then(|| format!("a{}", i - 1));
                account(&format!("a{i}"), parent.as_deref(), 1, &[])
            })
            .collect();
        assert!(AccountTree::new(&deep).unwrap_err().contains("deeper"));
        assert!(AccountTree::new(&deep[..MAX_ACCOUNT_DEPTH]).is_ok());
    }

    #[test]
    fn charge_reaches_ancestors_and_ignores_bad_amounts() {
        let mut tree = AccountTree::new(&[
            account("a", None, 1, &[]),
            account("a1", Some("a"), 1, &[("u", 1)]),
            account("b", None, 1, &[("v", 1)]),
        ])
        .unwrap();
        let u = assoc(&tree, "a1", "u");
        tree.charge(u, 5.0);
        tree.charge(u, -1.0);
        tree.charge(u, f64::NAN);
        tree.charge(u, f64::INFINITY);
        tree.charge(UserAssoc(99), 3.0);
        let id = |n: &str| tree.account_assoc(n).unwrap();
        assert_eq!(tree.user_raw_usage(u), 5.0);
        assert_eq!(tree.raw_usage(id("a1")), 5.0);
        assert_eq!(tree.raw_usage(id("a")), 5.0);
        assert_eq!(tree.raw_usage(tree.root()), 5.0);
        assert_eq!(tree.raw_usage(id("b")), 0.0);
        assert_eq!(tree.account_of(u), id("a1"));
        assert_eq!(tree.parent_of(id("a1")), Some(id("a")));
        assert_eq!(tree.parent_of(tree.root()), None);
        assert_eq!(tree.user_name(u), "u");
        assert_eq!(tree.account_name(id("a1")), "a1");
        assert_eq!(tree.top_level_accounts(), &[id("a"), id("b")]);
        assert_eq!(tree.top_level_of(id("a1")), id("a"));
        assert_eq!(tree.top_level_of(id("b")), id("b"));
        assert_eq!(tree.top_level_of(tree.root()), tree.root());
        assert_eq!(
            (tree.raw_shares(id("a1")), tree.raw_shares(tree.root())),
            (1, 1)
        );
        tree.reset_usage();
        assert_eq!(tree.raw_usage(tree.root()), 0.0);
        assert_eq!(tree.user_raw_usage(u), 0.0);
    }

    #[test]
    fn decay_halves_per_half_life() {
        // classic_fair_share.html, "Normalized Usage": without new usage,
        // U_H decays to half its value after PriorityDecayHalfLife.
        let mut tree = AccountTree::new(&[account("a", None, 1, &[("u", 1)])]).unwrap();
        let u = assoc(&tree, "a", "u");
        tree.charge(u, 1000.0);
        let hl = DEFAULT_DECAY_HALF_LIFE;
        assert_eq!(hl, SimDuration::from_secs(7 * 24 * 3600));
        tree.decay(hl, hl);
        assert!(close(tree.user_raw_usage(u), 500.0, 1e-9));
        assert!(close(tree.raw_usage(tree.root()), 500.0, 1e-9));
        tree.decay(hl, hl);
        assert!(close(tree.user_raw_usage(u), 250.0, 1e-9));
        // Two half-lives in one call equal two calls of one.
        tree.charge(u, 750.0); // back to 1000
        tree.decay(hl + hl, hl);
        assert!(close(tree.user_raw_usage(u), 250.0, 1e-9));
        // Half-life 0: no decay (PriorityDecayHalfLife=0).
        tree.decay(hl, SimDuration::ZERO);
        assert!(close(tree.user_raw_usage(u), 250.0, 1e-9));
    }

    #[test]
    fn usage_reset_periods() {
        assert_eq!(UsageReset::default(), UsageReset::None);
        assert_eq!(UsageReset::None.period(), None);
        let day = SimDuration::from_secs(86_400);
        assert_eq!(UsageReset::Daily.period(), Some(day));
        assert_eq!(
            UsageReset::Weekly.period(),
            Some(SimDuration::from_secs(7 * 86_400))
        );
        assert_eq!(
            UsageReset::Monthly.period(),
            Some(SimDuration::from_secs(30 * 86_400))
        );
        assert_eq!(
            UsageReset::Quarterly.period(),
            Some(SimDuration::from_secs(91 * 86_400))
        );
        assert_eq!(
            UsageReset::Yearly.period(),
            Some(SimDuration::from_secs(365 * 86_400))
        );
    }

    /// classic_fair_share.html, section "Example" (Figure 3): A (40 shares)
    /// with B (30; user 1) and C (10; users 2 and 3, 1 share each), and D
    /// (60) with E (25; user 4) and F (35; user 5). Usage: user 1 0.2,
    /// user 2 0.25, user 4 0.25, of the whole machine.
    ///
    /// The page's usages are fractions of the machine and sum to 0.7;
    /// Slurm normalises by the root's usage, so a zero-share account
    /// carries the other 0.3 to make the root's usage the machine total.
    /// A zero-share account changes no normalized share.
    #[test]
    fn classic_reproduces_the_documented_example() {
        let mut tree = AccountTree::new(&[
            account("A", None, 40, &[]),
            account("B", Some("A"), 30, &[("user1", 1)]),
            account("C", Some("A"), 10, &[("user2", 1), ("user3", 1)]),
            account("D", None, 60, &[]),
            account("E", Some("D"), 25, &[("user4", 1)]),
            account("F", Some("D"), 35, &[("user5", 1)]),
            account("idle", None, 0, &[("nobody", 1)]),
        ])
        .unwrap();
        let users: Vec<UserAssoc> = [
            ("B", "user1"),
            ("C", "user2"),
            ("C", "user3"),
            ("E", "user4"),
            ("F", "user5"),
        ]
        .iter()
        .map(|(a, u)| assoc(&tree, a, u))
        .collect();
        tree.charge(users[0], 0.2);
        tree.charge(users[1], 0.25);
        tree.charge(users[3], 0.25);
        tree.charge(assoc(&tree, "idle", "nobody"), 0.3);
        assert!(close(tree.raw_usage(tree.root()), 1.0, 1e-12));

        // "User N normalized share": 0.3, 0.05, 0.05, 0.25, 0.35.
        let shares = |acc: &str| tree.normalized_shares(tree.account_assoc(acc).unwrap());
        assert!(close(shares("A"), 0.4, 1e-12));
        assert!(close(shares("B"), 0.3, 1e-12));
        assert!(close(shares("E"), 0.25, 1e-12));
        assert!(close(shares("F"), 0.35, 1e-12));

        // "User N fair-share factor": 2**(-.3875/.3) = 0.408479,
        // 2**(-.275/.05) = 0.022097, 2**(-.15/.05) = 0.125,
        // 2**(-.25/.25) = 0.5, 2**(-.1458/.35) = 0.749154 (the page rounds
        // F's effective usage 0.25*35/60 = 0.145833.. to 0.1458).
        let f = tree.classic_factors();
        let expect = [0.408479, 0.022097, 0.125, 0.5, 0.749154];
        for (u, want) in users.iter().zip(expect) {
            let got = f[u.0 as usize];
            assert!(
                close(got, want, 5e-6),
                "{}: {got} != {want}",
                tree.user_name(*u)
            );
        }
        // Exact values from the formulas.
        assert!(close(
            f[users[0].0 as usize],
            (-0.3875f64 / 0.3).exp2(),
            1e-12
        ));
        assert!(close(f[users[2].0 as usize], 0.125, 1e-12));
        assert!(close(f[users[3].0 as usize], 0.5, 1e-12));
        // User 5 is the most under-serviced and ranks first.
        let best =
            (0..5).max_by(|&a, &b| f[users[a].0 as usize].total_cmp(&f[users[b].0 as usize]));
        assert_eq!(best, Some(4));
    }

    /// Two top-level accounts, shares 1:3, usage 30:10, one user each.
    /// S = 0.25 and 0.75; U = 0.75 and 0.25 (normalised by the root's 40);
    /// first tier: U_E = U (classic_fair_share.html, "The Slurm Fair-Share
    /// Formula"); the sole user of an account inherits it:
    /// U_E = U + (U_Eparent - U) * 1/1 = U_Eparent.
    /// F = 2^(-0.75/0.25) = 0.125 and 2^(-0.25/0.75) = 2^(-1/3) = 0.793700526.
    #[test]
    fn classic_two_accounts_by_hand() {
        let mut tree = AccountTree::new(&[
            account("a", None, 1, &[("alice", 1)]),
            account("b", None, 3, &[("bob", 1)]),
        ])
        .unwrap();
        let (alice, bob) = (assoc(&tree, "a", "alice"), assoc(&tree, "b", "bob"));
        tree.charge(alice, 30.0);
        tree.charge(bob, 10.0);
        let f = tree.classic_factors();
        assert!(close(f[alice.0 as usize], 0.125, 1e-12));
        assert!(close(f[bob.0 as usize], 0.793_700_525_984_099_7, 1e-12));
        // No usage at all: everyone gets 2^0 = 1.
        tree.reset_usage();
        assert_eq!(tree.classic_factors(), vec![1.0, 1.0]);
        // The default algorithm is Fair Tree.
        assert_eq!(FairshareAlgorithm::default(), FairshareAlgorithm::FairTree);
    }

    /// fair_tree.html, "Overview for End Users": root => Acct1 => Acct12 =>
    /// UserA and root => Acct1 => Acct16 => UserB. Acct1 is the first
    /// common ancestor; UserB has the higher FairShare exactly when Acct16
    /// has the higher Level FS. The page gives no numbers; here Acct12
    /// and Acct16 have equal shares and Acct12 used 3 of Acct1's 4 units:
    /// LF(Acct12) = 0.5/0.75 = 2/3 < LF(Acct16) = 0.5/0.25 = 2. Two users,
    /// so UserB = 2/2 = 1.0 and UserA = 1/2. Swapping the usage swaps them.
    #[test]
    fn fair_tree_documented_common_ancestor_example() {
        let mut tree = AccountTree::new(&[
            account("Acct1", None, 1, &[]),
            account("Acct12", Some("Acct1"), 1, &[("UserA", 1)]),
            account("Acct16", Some("Acct1"), 1, &[("UserB", 1)]),
        ])
        .unwrap();
        let (a, b) = (
            assoc(&tree, "Acct12", "UserA"),
            assoc(&tree, "Acct16", "UserB"),
        );
        tree.charge(a, 3.0);
        tree.charge(b, 1.0);
        let f = tree.fair_tree_factors();
        assert_eq!((f[a.0 as usize], f[b.0 as usize]), (0.5, 1.0));
        tree.charge(b, 8.0); // Acct16 now used 9 of 12
        let f = tree.fair_tree_factors();
        assert_eq!((f[a.0 as usize], f[b.0 as usize]), (1.0, 0.5));
    }

    /// A hand-ranked tree (fair_tree.html, "Algorithm" and "Level Fairshare
    /// Calculation"): LF = S / U at each level, siblings sorted by LF,
    /// depth first, rank counts down from the user count (6).
    ///
    /// root: phys (shares 2, usage 10) and chem (shares 1, usage 10)
    ///   S = 2/3, 1/3; U = 10/20, 10/20; LF = 4/3 and 2/3: phys first.
    /// phys: p1 (1, usage 9), p2 (1, usage 1), p3 (2, usage 0)
    ///   S = 1/4, 1/4, 1/2; U = 0.9, 0.1, 0; LF = 0.278, 2.5, inf:
    ///   p3 (6/6), p2 (5/6), p1 (4/6).
    /// chem: c1 (1, usage 2), c2 (1, usage 8), chem-sub (1, usage 0; user
    ///   c3 with no usage)
    ///   S = 1/3 each; U = 0.2, 0.8, 0; LF = 1.667, 0.417, inf:
    ///   c3 via chem-sub (3/6), c1 (2/6), c2 (1/6).
    /// Every phys user outranks every chem user although c3 has never run
    /// anything, which is Fair Tree's defining property ("Introduction").
    #[test]
    fn fair_tree_ranks_depth_first_by_level_fairshare() {
        let mut tree = AccountTree::new(&[
            account("phys", None, 2, &[("p1", 1), ("p2", 1), ("p3", 2)]),
            account("chem", None, 1, &[("c1", 1), ("c2", 1)]),
            account("chem-sub", Some("chem"), 1, &[("c3", 1)]),
        ])
        .unwrap();
        let u = |a: &str, n: &str| assoc(&tree, a, n);
        let (p1, p2, p3) = (u("phys", "p1"), u("phys", "p2"), u("phys", "p3"));
        let (c1, c2, c3) = (u("chem", "c1"), u("chem", "c2"), u("chem-sub", "c3"));
        tree.charge(p1, 9.0);
        tree.charge(p2, 1.0);
        tree.charge(c1, 2.0);
        tree.charge(c2, 8.0);
        let f = tree.fair_tree_factors();
        let got: Vec<f64> = [p3, p2, p1, c3, c1, c2]
            .iter()
            .map(|x| f[x.0 as usize])
            .collect();
        let want: Vec<f64> = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
            .iter()
            .map(|r| r / 6.0)
            .collect();
        assert_eq!(got, want);
        assert_eq!(tree.factors(FairshareAlgorithm::FairTree), f);
    }

    /// fair_tree.html, "Ties":
    /// - sibling users with the same LF receive the same rank;
    /// - a user with the same LF as a sibling account receives the same
    ///   rank as the account's highest-ranked user;
    /// - sibling accounts with the same LF have their children merged.
    #[test]
    fn fair_tree_ties() {
        // Sibling users tied: all LF infinite (no usage), 3 users -> all
        // rank 3 -> factor 1.0.
        let tree =
            AccountTree::new(&[account("a", None, 1, &[("u1", 1), ("u2", 1), ("u3", 1)])]).unwrap();
        assert_eq!(tree.fair_tree_factors(), vec![1.0, 1.0, 1.0]);

        // Users tied, then the rank resumes without the tie ("rnt"):
        // a: u1 (1, usage 1), u2 (1, usage 1), u3 (1, usage 2).
        // LF = (1/3)/(1/4) = 4/3, 4/3, (1/3)/(1/2) = 2/3.
        // u1, u2 tied at rank 3; u3 gets rank 1 (not 2).
        let mut tree =
            AccountTree::new(&[account("a", None, 1, &[("u1", 1), ("u2", 1), ("u3", 1)])]).unwrap();
        tree.charge(UserAssoc(0), 1.0);
        tree.charge(UserAssoc(1), 1.0);
        tree.charge(UserAssoc(2), 2.0);
        assert_eq!(tree.fair_tree_factors(), vec![1.0, 1.0, 1.0 / 3.0]);

        // A user tied with a sibling account takes the rank of the
        // account's highest-ranked user.
        // top: user t (1, usage 1) and account sub (1, usage 1; users s1
        // (1, usage 0), s2 (1, usage 1)). LF(t) = LF(sub) = 0.5/0.5 = 1.
        // Users sort first: t gets rank 3; sub's subtree starts tied, so
        // s1 (LF inf) also gets rank 3; s2 (LF 0.5) gets rank 1.
        let mut tree = AccountTree::new(&[
            account("top", None, 1, &[("t", 1)]),
            account("sub", Some("top"), 1, &[("s1", 1), ("s2", 1)]),
        ])
        .unwrap();
        let (t, s1, s2) = (
            assoc(&tree, "top", "t"),
            assoc(&tree, "sub", "s1"),
            assoc(&tree, "sub", "s2"),
        );
        tree.charge(t, 1.0);
        tree.charge(s2, 1.0);
        let f = tree.fair_tree_factors();
        assert_eq!(
            (f[t.0 as usize], f[s1.0 as usize], f[s2.0 as usize]),
            (1.0, 1.0, 1.0 / 3.0)
        );

        // Sibling accounts with equal LF are merged: their users are
        // ranked together by their own LF, interleaving the accounts.
        // g (1, usage 10) and h (1, usage 10): LF 1 each, merged.
        // g: g1 (1, usage 1) LF 0.5/0.1 = 5; g2 (1, usage 9) LF 0.556.
        // h: h1 (1, usage 5) LF 1;  h2 (1, usage 5) LF 1.
        // Merged order: g1 (4), h1 and h2 tied (3, 3), g2 (1).
        // Processing h after g instead would give g2 rank 3, h1/h2 rank 2.
        let mut tree = AccountTree::new(&[
            account("g", None, 1, &[("g1", 1), ("g2", 1)]),
            account("h", None, 1, &[("h1", 1), ("h2", 1)]),
        ])
        .unwrap();
        let u = |a: &str, n: &str| assoc(&tree, a, n);
        let (g1, g2, h1, h2) = (u("g", "g1"), u("g", "g2"), u("h", "h1"), u("h", "h2"));
        tree.charge(g1, 1.0);
        tree.charge(g2, 9.0);
        tree.charge(h1, 5.0);
        tree.charge(h2, 5.0);
        let f = tree.fair_tree_factors();
        let got: Vec<f64> = [g1, h1, h2, g2].iter().map(|x| f[x.0 as usize]).collect();
        assert_eq!(got, vec![1.0, 0.75, 0.75, 0.25]);
    }

    #[test]
    fn zero_shares_rank_last_and_get_zero_classic_factor() {
        // fair_tree.c `_calc_assoc_fs`: S = 0 gives LF = 0 (lowest), even
        // without usage; classic gives F = 0 when S = 0.
        let tree = AccountTree::new(&[account("a", None, 1, &[("zero", 0), ("one", 1)])]).unwrap();
        assert_eq!(tree.fair_tree_factors(), vec![0.5, 1.0]);
        assert_eq!(tree.classic_factors(), vec![0.0, 1.0]);
    }
}
