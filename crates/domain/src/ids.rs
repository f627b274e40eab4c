//! Typed identifiers, so that an alert id can never be passed where a
//! deployment id is meant.

macro_rules! id {
    ($(#[$m:meta])* $name:ident, $prefix:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            /// Accepts `7` or the prefixed form `D7` shown in tables.
            fn from_str(s: &str) -> Result<Self, String> {
                let t = s.trim();
                let t = t.strip_prefix($prefix).or_else(|| t.strip_prefix(&$prefix.to_ascii_lowercase())).unwrap_or(t);
                t.parse::<i64>().map($name).map_err(|_| {
                    format!("`{s}` is not a {} id; give a number such as 7 or {}7", stringify!($name), $prefix)
                })
            }
        }
    };
}

id!(/// A user of the system (an officer or member of staff).
    UserId, "U");
id!(/// A deployment: one authorised, time- and place-bounded use of LFR.
    DeploymentId, "D");
id!(/// A watchlist compiled for one deployment.
    WatchlistId, "W");
id!(/// One person's inclusion on one watchlist.
    InclusionId, "I");
id!(/// One reference image of an included person.
    ImageId, "IMG");
id!(/// An alert raised by the recognition pipeline.
    AlertId, "A");
id!(/// A legal hold keeping data past its deletion time.
    HoldId, "H");
id!(/// A recorded footage segment.
    FootageId, "F");
id!(/// One seeded walk of a Blue Watchlist volunteer through the Zone of Recognition.
    BluePassId, "BP");
