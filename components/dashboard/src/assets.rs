//! The dashboard's files, compiled into the component: nothing is read from disk or fetched
//! from another origin at run time.

/// One file the dashboard serves under `/assets/`.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// The page every view URL answers with; the script shows the view the path names.
pub const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_bytes!("../web/index.html"),
};

/// A module's files, compiled in under the name the page asks for.
macro_rules! script {
    ($name:literal) => {
        Asset {
            name: $name,
            content_type: "text/javascript; charset=utf-8",
            body: include_bytes!(concat!("../web/", $name)),
        }
    };
}

pub const ASSETS: &[Asset] = &[
    script!("app.js"),
    script!("api.js"),
    script!("dom.js"),
    script!("chart.js"),
    script!("paged-list.js"),
    script!("views/overview.js"),
    script!("views/charge-points.js"),
    script!("views/charge-point.js"),
    script!("views/sessions.js"),
    script!("views/session.js"),
    script!("views/tariffs.js"),
    script!("views/id-tags.js"),
    script!("views/cdr-export.js"),
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../web/app.css"),
    },
];

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}
