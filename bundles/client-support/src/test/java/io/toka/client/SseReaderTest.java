package io.toka.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseReaderTest {

    @Test
    void readsEventsAsTheStandardDefinesThem() throws Exception {
        String stream = ": keep-alive\r\n\r\n"
                + "id: 1\r\nretry: 250\r\ndata:\r\n\r\n"
                + "event: message\ndata: {\"a\":\ndata:  1}\n\n"
                + "id: 2\rdata:x\r\r"
                + "data: unfinished";
        SseReader r = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)));
        SseReader.Event priming = r.next();
        assertThat(priming.id()).isEqualTo("1");
        assertThat(priming.retryMillis()).isEqualTo(250L);
        assertThat(priming.hasData()).isFalse();
        SseReader.Event joined = r.next();
        assertThat(joined.data()).isEqualTo("{\"a\":\n 1}");
        assertThat(joined.isMessage()).isTrue();
        SseReader.Event cr = r.next();
        assertThat(cr.id()).isEqualTo("2");
        assertThat(cr.data()).isEqualTo("x");
        assertThat(r.next()).as("an event cut off by the end of the stream is dropped").isNull();
    }

    @Test
    void otherEventTypesAreNotMessages() throws Exception {
        SseReader r = new SseReader(new ByteArrayInputStream("event: endpoint\ndata: /x\n\n".getBytes(
                StandardCharsets.UTF_8)));
        assertThat(r.next().isMessage()).isFalse();
    }
}
