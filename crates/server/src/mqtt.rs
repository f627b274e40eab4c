//! Optional MQTT publishing of alerts and state changes, for control rooms
//! that already listen on a broker. Off unless `--mqtt` is given.
//!
//! Messages carry what the event stream gives a caller without the right
//! to view alerts: the fact of an alert, its camera, time and class, and
//! deployment state changes. Never a score's context, an image or a name:
//! a broker is outside the store's role checks and audit.
//!
//! Topics: `{prefix}/D{n}/alert.raised`, `.../alert.updated`,
//! `.../deployment.changed`, `.../camera.figures`; QoS 1 (at least once).

use std::time::Duration;

use anyhow::{Context, bail};
use rumqttc::{AsyncClient, MqttOptions, QoS};

use crate::Hub;

/// Where to publish: `mqtt://HOST[:PORT][/PREFIX]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttTarget {
    pub host: String,
    pub port: u16,
    pub prefix: String,
}

impl std::str::FromStr for MqttTarget {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        let Some(rest) = s.strip_prefix("mqtt://") else {
            bail!(
                "`{s}`: give the broker as mqtt://HOST[:PORT][/TOPIC-PREFIX], e.g. mqtt://localhost:1883/lfr"
            );
        };
        let (hostport, prefix) = rest.split_once('/').unwrap_or((rest, "lfr"));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse()
                    .with_context(|| format!("`{p}` is not a port number"))?,
            ),
            None => (hostport, 1883),
        };
        if host.is_empty() {
            bail!("`{s}`: the broker's host is missing");
        }
        let prefix = prefix.trim_matches('/');
        Ok(Self {
            host: host.into(),
            port,
            prefix: if prefix.is_empty() {
                "lfr".into()
            } else {
                prefix.into()
            },
        })
    }
}

/// Publishes every event of `hub` to the broker until the hub closes.
/// Connection failures are logged and retried by rumqttc's event loop;
/// events published while the broker is away are dropped, never queued
/// without bound (the store keeps the record).
pub fn spawn(hub: &Hub, target: MqttTarget, client_id: &str) -> tokio::task::JoinHandle<()> {
    let mut opts = MqttOptions::new(client_id, target.host.clone(), target.port);
    opts.set_keep_alive(Duration::from_secs(20));
    let (client, mut eventloop) = AsyncClient::new(opts, 64);
    tokio::spawn(async move {
        loop {
            if let Err(e) = eventloop.poll().await {
                tracing::warn!("MQTT broker {}:{}: {e}; retrying", target.host, target.port);
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    });
    let mut rx = hub.subscribe();
    let prefix = target.prefix;
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    let topic = format!("{prefix}/D{}/{}", e.deployment(), e.name());
                    let payload = e.to_json(false).to_string();
                    if let Err(err) = client.try_publish(topic, QoS::AtLeastOnce, false, payload) {
                        tracing::warn!("MQTT publish dropped: {err}");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!("MQTT publisher fell behind; {n} events not published");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses_in_the_forms_people_write() {
        let t: MqttTarget = "mqtt://broker.local:1884/force/lfr".parse().unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.prefix.as_str()),
            ("broker.local", 1884, "force/lfr")
        );
        let t: MqttTarget = "mqtt://localhost".parse().unwrap();
        assert_eq!((t.port, t.prefix.as_str()), (1883, "lfr"));
        assert!("tcp://x".parse::<MqttTarget>().is_err());
        assert!("mqtt://x:port".parse::<MqttTarget>().is_err());
    }
}
