/**
 * Toka's health, Kubernetes-style: {@link io.toka.health.Health#live()} (is the process sound, or should it be
 * restarted?) and {@link io.toka.health.Health#ready()} (may it take traffic?). Both run Felix Health Checks selected
 * by tag: {@value io.toka.health.Health#LIVE_TAG} and {@value io.toka.health.Health#READY_TAG}. Any bundle can add a
 * check to either by registering an {@code org.apache.felix.hc.api.HealthCheck} service with that tag in
 * {@code hc.tags} and a name in {@code hc.name}: that is how a cluster bundle makes readiness wait until it has
 * joined.
 */
@Export
@Version("1.0.0")
package io.toka.health;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
