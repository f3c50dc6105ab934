package io.toka.tools.nativ.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the http-request tool (PID {@value #PID}). */
@ObjectClassDefinition(name = "Toka http-request tool",
        description = "Limits of the http-request tool, and the internal hosts it may reach.")
public @interface HttpConfig {

    /** Configuration PID of the http-request tool. */
    String PID = "io.toka.tools.http";

    @AttributeDefinition(name = "Allowed internal hosts",
            description = "Host names, IP addresses or CIDR ranges (e.g. 10.1.0.0/16) that may be reached although they"
                    + " are loopback, private, link-local or otherwise internal. Empty: only public addresses.")
    String[] allowHosts() default {};

    @AttributeDefinition(name = "Maximum response size (bytes)",
            description = "At most this much of a response body is read; the result then says truncated.", min = "0")
    long maxResponseBytes() default 1024 * 1024;

    @AttributeDefinition(name = "Timeout (seconds)",
            description = "Limit for one call: connecting, redirects and reading the whole response.", min = "1")
    int timeoutSeconds() default 10;

    @AttributeDefinition(name = "Maximum redirects", description = "Redirects followed, each checked like the first URL.",
            min = "0")
    int maxRedirects() default 5;

    @AttributeDefinition(name = "Maximum request body (bytes)", description = "Larger POST bodies are refused.", min = "0")
    long maxRequestBodyBytes() default 1024 * 1024;
}
