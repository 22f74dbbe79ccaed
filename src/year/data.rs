//! The demo year's invented data: one county and its townships, their deputies, and the
//! proposals residents, deputies, departments and organisations send in.

use piaojue_crypto::manifest::Text;

/// The county.
pub const COUNTY: (&str, &str, &str) = (
    "county",
    "青川县第十八届人民代表大会",
    "Qingchuan County 18th People's Congress",
);

/// Townships: id, name (zh), name (en).
pub const TOWNSHIPS: [(&str, &str, &str); 20] = [
    ("t01", "东河镇", "Donghe"),
    ("t02", "西岭镇", "Xiling"),
    ("t03", "南坪镇", "Nanping"),
    ("t04", "北山乡", "Beishan"),
    ("t05", "桃源镇", "Taoyuan"),
    ("t06", "柳湾乡", "Liuwan"),
    ("t07", "石桥镇", "Shiqiao"),
    ("t08", "清溪镇", "Qingxi"),
    ("t09", "白鹤乡", "Baihe"),
    ("t10", "金田镇", "Jintian"),
    ("t11", "龙泉镇", "Longquan"),
    ("t12", "云台乡", "Yuntai"),
    ("t13", "松林镇", "Songlin"),
    ("t14", "梅岭乡", "Meiling"),
    ("t15", "凤凰镇", "Fenghuang"),
    ("t16", "竹园乡", "Zhuyuan"),
    ("t17", "青山镇", "Qingshan"),
    ("t18", "玉河乡", "Yuhe"),
    ("t19", "长乐镇", "Changle"),
    ("t20", "安平乡", "Anping"),
];

/// A theme of proposals: category, title pattern (`{}` is a place), the county department and
/// the township office that do it, investment in 万元 (10,000 yuan).
pub struct Theme {
    /// Category.
    pub category: &'static str,
    /// Title in Chinese; `{}` is the place.
    pub zh: &'static str,
    /// Title in English.
    pub en: &'static str,
    /// Responsible department, without the county's or township's prefix.
    pub department: &'static str,
    /// Department in English.
    pub department_en: &'static str,
    /// The township office (乡镇的办、站、所) that does it in a township, without the
    /// township's name: towns have 办, 站 and 所, not the county's 局.
    pub township: &'static str,
    /// The township office in English, without the township's name.
    pub township_en: &'static str,
    /// Investment, 万元.
    pub wan: u64,
}

/// Themes of proposals that could be projects.
pub const THEMES: [Theme; 24] = [
    Theme {
        category: "住房",
        zh: "{}老旧小区改造",
        en: "Renovation of old residential blocks",
        department: "住建局",
        department_en: "Housing Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 3800,
    },
    Theme {
        category: "水利",
        zh: "{}农村饮水安全提升",
        en: "Rural drinking-water safety",
        department: "水利局",
        department_en: "Water Bureau",
        township: "水利站",
        township_en: "Water Station",
        wan: 1250,
    },
    Theme {
        category: "交通",
        zh: "{}城乡公交线路延伸",
        en: "Bus lines to the villages",
        department: "交通运输局",
        department_en: "Transport Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 980,
    },
    Theme {
        category: "教育",
        zh: "{}中小学校食堂改造",
        en: "School canteen upgrades",
        department: "教育局",
        department_en: "Education Bureau",
        township: "社会事务办",
        township_en: "Social Affairs Office",
        wan: 620,
    },
    Theme {
        category: "养老",
        zh: "{}居家养老服务中心",
        en: "Home elderly-care centre",
        department: "民政局",
        department_en: "Civil Affairs Bureau",
        township: "社会事务办",
        township_en: "Social Affairs Office",
        wan: 740,
    },
    Theme {
        category: "商贸",
        zh: "{}农贸市场提升改造",
        en: "Farmers' market upgrade",
        department: "商务局",
        department_en: "Commerce Bureau",
        township: "经济发展办",
        township_en: "Economic Development Office",
        wan: 510,
    },
    Theme {
        category: "交通",
        zh: "{}公共停车位建设",
        en: "Public parking spaces",
        department: "城管局",
        department_en: "Urban Management Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 830,
    },
    Theme {
        category: "卫生",
        zh: "{}卫生院能力提升",
        en: "Clinic upgrade",
        department: "卫健局",
        department_en: "Health Bureau",
        township: "卫生院",
        township_en: "Health Centre",
        wan: 1100,
    },
    Theme {
        category: "市政",
        zh: "{}背街小巷路灯安装",
        en: "Street lights in back lanes",
        department: "城管局",
        department_en: "Urban Management Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 260,
    },
    Theme {
        category: "文体",
        zh: "{}全民健身场地建设",
        en: "Public fitness grounds",
        department: "文广旅体局",
        department_en: "Culture and Sports Bureau",
        township: "综合文化站",
        township_en: "Cultural Station",
        wan: 430,
    },
    Theme {
        category: "环境",
        zh: "{}农村生活污水治理",
        en: "Rural sewage treatment",
        department: "生态环境分局",
        department_en: "Ecology Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 1570,
    },
    Theme {
        category: "托育",
        zh: "{}婴幼儿托育服务点",
        en: "Infant day care",
        department: "卫健局",
        department_en: "Health Bureau",
        township: "社会事务办",
        township_en: "Social Affairs Office",
        wan: 390,
    },
    Theme {
        category: "水利",
        zh: "{}易涝点排水改造",
        en: "Drainage at flood-prone spots",
        department: "水利局",
        department_en: "Water Bureau",
        township: "水利站",
        township_en: "Water Station",
        wan: 680,
    },
    Theme {
        category: "教育",
        zh: "{}幼儿园扩建",
        en: "Kindergarten extension",
        department: "教育局",
        department_en: "Education Bureau",
        township: "社会事务办",
        township_en: "Social Affairs Office",
        wan: 900,
    },
    Theme {
        category: "交通",
        zh: "{}农村公路安全防护",
        en: "Safety barriers on rural roads",
        department: "交通运输局",
        department_en: "Transport Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 560,
    },
    Theme {
        category: "环境",
        zh: "{}垃圾分类收运站",
        en: "Waste sorting station",
        department: "城管局",
        department_en: "Urban Management Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 340,
    },
    Theme {
        category: "就业",
        zh: "{}就业技能培训",
        en: "Job-skills training",
        department: "人社局",
        department_en: "Human Resources Bureau",
        township: "劳动保障所",
        township_en: "Labour and Social Security Office",
        wan: 180,
    },
    Theme {
        category: "助残",
        zh: "{}残疾人康复服务",
        en: "Rehabilitation services for the disabled",
        department: "残联",
        department_en: "Disabled Persons' Federation",
        township: "残联",
        township_en: "Disabled Persons' Federation",
        wan: 210,
    },
    Theme {
        category: "文体",
        zh: "{}农家书屋提升",
        en: "Village library upgrade",
        department: "文广旅体局",
        department_en: "Culture and Sports Bureau",
        township: "综合文化站",
        township_en: "Cultural Station",
        wan: 120,
    },
    Theme {
        category: "安全",
        zh: "{}电动车集中充电设施",
        en: "Safe e-bike charging points",
        department: "应急管理局",
        department_en: "Emergency Management Bureau",
        township: "应急管理办",
        township_en: "Emergency Management Office",
        wan: 300,
    },
    Theme {
        category: "市政",
        zh: "{}公共厕所改造",
        en: "Public toilet renovation",
        department: "城管局",
        department_en: "Urban Management Bureau",
        township: "村镇建设办",
        township_en: "Planning and Construction Office",
        wan: 250,
    },
    Theme {
        category: "卫生",
        zh: "{}村卫生室标准化建设",
        en: "Village clinic standards",
        department: "卫健局",
        department_en: "Health Bureau",
        township: "卫生院",
        township_en: "Health Centre",
        wan: 450,
    },
    Theme {
        category: "农业",
        zh: "{}高标准农田水渠修缮",
        en: "Irrigation canal repairs",
        department: "农业农村局",
        department_en: "Agriculture Bureau",
        township: "农业农村办",
        township_en: "Agriculture and Rural Affairs Office",
        wan: 820,
    },
    Theme {
        category: "养老",
        zh: "{}老年食堂建设",
        en: "Canteens for the elderly",
        department: "民政局",
        department_en: "Civil Affairs Bureau",
        township: "社会事务办",
        township_en: "Social Affairs Office",
        wan: 360,
    },
];

/// Proposals that the negative list excludes: (title pattern, item id).
pub const EXCLUDED: [(&str, &str); 3] = [
    ("{}新建政府办公楼", "office-buildings"),
    ("{}建设景观大道和广场雕塑", "image-projects"),
    ("{}通过融资平台贷款建设商业街", "new-debt"),
];

/// Proposals that are not adopted, with the reason staff give: (title pattern, reason).
pub const REJECTED: [(&str, &str); 3] = [
    ("{}修建高尔夫球场", "不属于民生实事范围，且用地不符合规划"),
    ("{}给每户发放补贴", "属于个人补贴，不是公共项目"),
    ("{}建设机场", "超出本级政府事权和财力"),
];

/// Villages and streets: the places of proposals.
pub const PLACES: [&str; 12] = [
    "城关社区",
    "河东村",
    "杨家湾村",
    "新街社区",
    "李家坝村",
    "马鞍山村",
    "文化路",
    "北门社区",
    "双河村",
    "三元村",
    "红星街",
    "青石村",
];

/// Government departments rated in the county's department rating.
pub const DEPARTMENTS: [(&str, &str); 8] = [
    ("县教育局", "Education Bureau"),
    ("县卫健局", "Health Bureau"),
    ("县住建局", "Housing Bureau"),
    ("县交通运输局", "Transport Bureau"),
    ("县民政局", "Civil Affairs Bureau"),
    ("县水利局", "Water Bureau"),
    ("县城管局", "Urban Management Bureau"),
    ("县人社局", "Human Resources Bureau"),
];

/// A bilingual text.
pub fn t(zh: impl Into<String>, en: impl Into<String>) -> Text {
    Text::new(zh, en)
}
