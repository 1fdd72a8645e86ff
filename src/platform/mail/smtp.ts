// SMTP delivery with nodemailer: smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start), with
// credentials in the URL. It sends the outbox's bytes unchanged, so what was delivered is what the outbox holds.
import nodemailer from 'nodemailer';

export function createSmtpSender(url: string) {
  const transport = nodemailer.createTransport(url);
  return {
    async deliver(raw: Buffer, envelope: { from: string; to: string[] }): Promise<void> {
      await transport.sendMail({ envelope, raw });
    },
    close(): void {
      transport.close();
    },
  };
}
