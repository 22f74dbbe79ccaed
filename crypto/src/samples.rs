//! Sample manifests for the three ballot forms, used by the demo, the tests, the benchmarks
//! and the spec's test vectors. Projects are invented; their shape is that of real lists.

use crate::manifest::{
    BallotOption, BoardParams, Contest, Manifest, Project, TellerParams, Text, Witnesses,
};
use crate::rules::{DecisionRule, MajorityBase, Quorum};

const PROJECTS: [(&str, &str, &str, u64); 20] = [
    (
        "城区老旧小区改造",
        "Renovation of old residential blocks",
        "县住建局",
        38_000_000,
    ),
    (
        "农村饮水安全提升",
        "Rural drinking-water safety",
        "县水利局",
        12_500_000,
    ),
    (
        "城乡公交一体化",
        "Integrated urban-rural buses",
        "县交通运输局",
        9_800_000,
    ),
    (
        "中小学校食堂改造",
        "School canteen upgrades",
        "县教育局",
        6_200_000,
    ),
    (
        "社区居家养老服务中心",
        "Community elderly-care centres",
        "县民政局",
        7_400_000,
    ),
    (
        "农贸市场提升改造",
        "Farmers' market upgrades",
        "县商务局",
        5_100_000,
    ),
    (
        "城区停车位建设",
        "Public parking spaces",
        "县城管局",
        8_300_000,
    ),
    (
        "乡镇卫生院能力提升",
        "Township clinic upgrades",
        "县卫健局",
        11_000_000,
    ),
    (
        "背街小巷路灯亮化",
        "Street lighting in back lanes",
        "县城管局",
        2_600_000,
    ),
    (
        "全民健身场地建设",
        "Public fitness grounds",
        "县文广旅体局",
        4_300_000,
    ),
    (
        "农村生活污水治理",
        "Rural sewage treatment",
        "县生态环境分局",
        15_700_000,
    ),
    ("婴幼儿托育服务", "Infant day care", "县卫健局", 3_900_000),
    (
        "易涝点排水改造",
        "Drainage at flood-prone spots",
        "县水利局",
        6_800_000,
    ),
    ("公共厕所新建改建", "Public toilets", "县城管局", 2_100_000),
    (
        "残疾人康复服务",
        "Rehabilitation for the disabled",
        "县残联",
        1_800_000,
    ),
    (
        "电动自行车充电设施",
        "E-bike charging points",
        "县住建局",
        1_500_000,
    ),
    ("社区食堂建设", "Community canteens", "县民政局", 2_900_000),
    (
        "校园周边交通安全",
        "Traffic safety near schools",
        "县公安局",
        1_200_000,
    ),
    (
        "图书馆分馆建设",
        "Branch libraries",
        "县文广旅体局",
        3_300_000,
    ),
    (
        "农村道路安全防护",
        "Rural road safety barriers",
        "县交通运输局",
        7_700_000,
    ),
];

fn project_option(i: usize) -> BallotOption {
    let (zh, en, dept, invest) = PROJECTS[i % PROJECTS.len()];
    let n = i / PROJECTS.len();
    let suffix = if n == 0 {
        String::new()
    } else {
        format!(" ({})", n + 1)
    };
    BallotOption {
        id: format!("p{:02}", i + 1),
        title: Text::new(format!("{zh}{suffix}"), format!("{en}{suffix}")),
        project: Some(Project {
            department: Text::new(dept, ""),
            investment_yuan: invest,
            completion: "2027-12".into(),
            description: Text::new(
                format!("{zh}项目，{}年底前完成。", 2027),
                format!("{en}, to be completed by the end of 2027."),
            ),
        }),
    }
}

/// The deputies of the sample congress (a manifest's `deputies`); a test that registers another
/// number of credentials sets the field to it.
pub const SAMPLE_DEPUTIES: u32 = 200;

/// The board name of the samples' boards: their log origins are `{SAMPLE_BOARD_NAME}/{id}`.
pub const SAMPLE_BOARD_NAME: &str = "piaojue.example/board";

/// The seed of the samples' board key (a test that runs a real server replaces the manifest's
/// `board` with that server's, as the server's API does).
pub const SAMPLE_BOARD_SEED: [u8; 32] = [0xb0; 32];

/// The samples' board: origin `{SAMPLE_BOARD_NAME}/{id}`, the key of [`SAMPLE_BOARD_SEED`].
pub fn sample_board(id: &str) -> BoardParams {
    BoardParams {
        origin: format!("{SAMPLE_BOARD_NAME}/{id}"),
        key: crate::board::BoardKey::from_seed(&SAMPLE_BOARD_SEED).public(),
    }
}

fn manifest(
    id: &str,
    title: Text,
    tellers: TellerParams,
    contests: Vec<Contest>,
    decision: DecisionRule,
) -> Manifest {
    Manifest {
        version: crate::PROTOCOL_VERSION,
        election_id: id.into(),
        title,
        congress: Text::new(
            "示例县第十八届人民代表大会第五次会议",
            "5th session of the 18th People's Congress of Example County",
        ),
        deputies: SAMPLE_DEPUTIES,
        tellers,
        contests,
        decision,
        revote: Default::default(),
        board: sample_board(id),
        witnesses: Witnesses::default(),
    }
}

/// "Select up to `seats` of `candidates`" (差额票决), decided by the top-K rule with a majority
/// of all deputies and a 2/3 quorum.
pub fn up_to_k_of_n(id: &str, candidates: usize, seats: u32, tellers: TellerParams) -> Manifest {
    manifest(
        id,
        Text::new("2027年度民生实事项目票决", "2027 livelihood projects vote"),
        tellers,
        vec![Contest {
            id: "projects".into(),
            title: Text::new(
                format!("请从{candidates}个候选项目中选择不超过{seats}个"),
                format!("Choose at most {seats} of {candidates} candidate projects"),
            ),
            min: 0,
            max: seats,
            options: (0..candidates).map(project_option).collect(),
        }],
        DecisionRule::TopK {
            seats,
            majority: MajorityBase::AllDeputies,
            quorum: Quorum::TWO_THIRDS,
        },
    )
}

fn choice(id: &str, zh: &str, en: &str) -> BallotOption {
    BallotOption {
        id: id.into(),
        title: Text::new(zh, en),
        project: None,
    }
}

/// "Yes / no / abstain on each of `projects`", the top `seats` passing projects adopted.
pub fn yes_no_abstain(id: &str, projects: usize, seats: u32, tellers: TellerParams) -> Manifest {
    manifest(
        id,
        Text::new("民生实事项目逐项表决", "Livelihood projects, item by item"),
        tellers,
        (0..projects)
            .map(|i| {
                let p = project_option(i);
                Contest {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    min: 1,
                    max: 1,
                    options: vec![
                        choice("yes", "赞成", "Yes"),
                        choice("no", "反对", "No"),
                        choice("abstain", "弃权", "Abstain"),
                    ],
                }
            })
            .collect(),
        DecisionRule::ApproveEach {
            seats,
            majority: MajorityBase::AllDeputies,
            quorum: Quorum::TWO_THIRDS,
        },
    )
}

/// Satisfaction rating of `projects` adopted projects (成效测评).
pub fn rating(id: &str, projects: usize, tellers: TellerParams) -> Manifest {
    manifest(
        id,
        Text::new("民生实事项目成效测评", "Evaluation of livelihood projects"),
        tellers,
        (0..projects)
            .map(|i| {
                let p = project_option(i);
                Contest {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    min: 1,
                    max: 1,
                    options: vec![
                        choice("satisfied", "满意", "Satisfied"),
                        choice("basically_satisfied", "基本满意", "Basically satisfied"),
                        choice("not_satisfied", "不满意", "Not satisfied"),
                        choice("abstain", "弃权", "Abstain"),
                    ],
                }
            })
            .collect(),
        DecisionRule::Rating {
            majority: MajorityBase::AllDeputies,
            quorum: Quorum::TWO_THIRDS,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_valid() {
        let t = TellerParams { n: 5, t: 3 };
        up_to_k_of_n("a", 13, 10, t).validate().unwrap();
        yes_no_abstain("b", 13, 10, t).validate().unwrap();
        rating("c", 10, t).validate().unwrap();
        assert!(up_to_k_of_n("A B", 13, 10, t).validate().is_err());
        assert!(
            up_to_k_of_n("a", 13, 10, TellerParams { n: 2, t: 3 })
                .validate()
                .is_err()
        );
    }
}
