package io.toka.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.toka.llm.LlmRequest.Priority;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The 1.1.0 additions: a request's priority, a reply's queue wait; the 1.0.0 constructors keep working. */
class RequestPriorityTest {

    private static final List<LlmMessage> HI = List.of(LlmMessage.user("hi"));

    @Test
    void aRequestWithoutAPriorityIsMedium() {
        assertThat(new LlmRequest("a", null, HI, List.of(), 10, 0).priority()).isEqualTo(Priority.MEDIUM);
        assertThat(new LlmRequest("a", null, HI, List.of(), 10, 0, null).priority()).isEqualTo(Priority.MEDIUM);
        LlmRequest critical = new LlmRequest("a", "sys", HI, null, 10, 0.5).withPriority(Priority.CRITICAL);
        assertThat(critical.priority()).isEqualTo(Priority.CRITICAL);
        assertThat(critical.system()).isEqualTo("sys");
        assertThat(critical.temperature()).isEqualTo(0.5);
    }

    @Test
    void prioritiesAreReadInAnyCaseAndAnythingElseIsRefusedNamingTheChoices() {
        assertThat(Priority.of("Critical")).isEqualTo(Priority.CRITICAL);
        assertThat(Priority.of(" low ")).isEqualTo(Priority.LOW);
        assertThat(Priority.of(null)).isEqualTo(Priority.MEDIUM);
        assertThatThrownBy(() -> Priority.of("urgent")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown priority 'urgent': use critical, high, medium or low");
    }

    @Test
    void aReplyCarriesItsQueueWait() {
        LlmResponse old = new LlmResponse(List.of(), "end_turn", 1, 2, "openai", "m", 30);
        assertThat(old.queueWaitMs()).isZero();
        assertThat(new LlmResponse(List.of(), "end_turn", 1, 2, "openai", "m", 30, 12).queueWaitMs()).isEqualTo(12);
        assertThatThrownBy(() -> new LlmResponse(List.of(), "end_turn", 1, 2, "openai", "m", 30, -1))
                .hasMessage("queueWaitMs must not be negative, not -1");
    }

    @Test
    void aGatewayWithoutAQueueReportsAnEmptyOne() {
        LlmGateway.QueueStats none = LlmGateway.QueueStats.none("x");
        assertThat(none.maxConcurrent()).isZero();
        assertThat(none.priorities()).containsOnlyKeys(Priority.values());
        assertThat(none.priorities().keySet()).containsExactly(Priority.values());
    }
}
