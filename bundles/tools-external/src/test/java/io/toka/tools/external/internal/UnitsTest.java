package io.toka.tools.external.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

    @ParameterizedTest
    @CsvSource({"512MB,536870912", "512M,536870912", "512MiB,536870912", "512mb,536870912", "1KB,1024", "1K,1024",
            "1KiB,1024", "2GB,2147483648", "1G,1073741824", "1GiB,1073741824", "100B,100", "100,100", "1.5KB,1536",
            "' 64 MB ',67108864"})
    void sizes(String text, long bytes) {
        assertThat(Units.size(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"12XB", "MB", "", "-5MB", "1.5B", "5 TB", "0MB", "99999999999GB"})
    void badSizes(String text) {
        assertThatThrownBy(() -> Units.size(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + text + "\"");
    }

    @ParameterizedTest
    @CsvSource({"30s,30000", "250ms,250", "5m,300000", "1h,3600000", "1m30s,90000", "1h2m3s,3723000", "1.5s,1500",
            "45,45000", "10M,600000"})
    void durations(String text, long millis) {
        assertThat(Units.duration(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10x", "s", "", "1m30", "30 s s", "0s", "-1s", "1d"})
    void badDurations(String text) {
        assertThatThrownBy(() -> Units.duration(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" " + (text.equals("0s") ? "must be longer than 0 (use e.g. 30s)"
                        : "is not a duration (use e.g. 30s, 5m or 1m30s)"));
    }

    @ParameterizedTest
    @CsvSource({"50%,50", "1%,1", "100%,100", "400%,400", "25,25", "12.5%,13"})
    void cpu(String text, int percent) {
        assertThat(Units.cpuPercent(text, 4)).isEqualTo(percent);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0%", "401%", "0.5%"})
    void cpuOutOfRange(String text) {
        assertThatThrownBy(() -> Units.cpuPercent(text, 4)).hasMessage("\"" + text + "\" is out of range: use 1% to 400% (4 core(s) here)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"half", "50%%", "%50", ""})
    void badCpu(String text) {
        assertThatThrownBy(() -> Units.cpuPercent(text, 4)).hasMessage("\"" + text + "\" is not a CPU share (use e.g. 50%)");
    }

    @ParameterizedTest
    @CsvSource({"30000,30s", "90000,1m30s", "250,250ms", "3600000,1h", "3723000,1h2m3s"})
    void human(long millis, String text) {
        assertThat(Units.human(Duration.ofMillis(millis))).isEqualTo(text);
    }
}
