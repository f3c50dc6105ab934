package io.toka.orchestration.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResourceLimitsTest {

    @Test
    void readsSizes() {
        assertThat(ResourceLimits.bytes("512MB")).isEqualTo(512L << 20);
        assertThat(ResourceLimits.bytes("1gb")).isEqualTo(1L << 30);
        assertThat(ResourceLimits.bytes("64 KB")).isEqualTo(64L << 10);
        assertThat(ResourceLimits.bytes("100B")).isEqualTo(100);
        assertThat(ResourceLimits.bytes("1TB")).isEqualTo(-1);
        assertThat(ResourceLimits.bytes(null)).isEqualTo(-1);
    }

    @Test
    void readsPercentages() {
        assertThat(ResourceLimits.cpuPercent("75%")).isEqualTo(75.0);
        assertThat(ResourceLimits.cpuPercent("12.5%")).isEqualTo(12.5);
        assertThat(ResourceLimits.cpuPercent("100%")).isEqualTo(100.0);
        assertThat(ResourceLimits.cpuPercent("150%")).isEqualTo(-1);
    }

    @Test
    void readsDurations() {
        assertThat(ResourceLimits.millis("2h")).isEqualTo(7_200_000L);
        assertThat(ResourceLimits.millis("30m")).isEqualTo(1_800_000L);
        assertThat(ResourceLimits.millis("45s")).isEqualTo(45_000L);
        assertThat(ResourceLimits.millis("250ms")).isEqualTo(250L);
        assertThat(ResourceLimits.millis("2d")).isEqualTo(-1);
    }
}
