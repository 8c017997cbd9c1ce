// The Terms of Service, readable without signing in.
import { Link } from '../router';

export function TermsPage() {
  return (
    <main className="terms" id="main">
      <p>
        <Link to="/login">Back to sign-in</Link>
      </p>
      <h1>Terms of Service</h1>
      <p className="hint">Version 1.0, effective 1 December 2026.</p>

      <h2>1. Who these terms are between</h2>
      <p>
        These terms govern the use of Trust Fabric (the "Service"), the reliability, security and governance
        layer of an AI-assisted accounting platform, by the organisation that subscribes to it (the
        "Customer") and by the people the Customer authorises to sign in (its "Users"). By signing in, a
        User accepts these terms on the Customer's behalf and on their own.
      </p>

      <h2>2. What the Service does</h2>
      <p>
        The Service records a tamper-evident audit trail of actions on the platform, manages accounts,
        sign-in security, encryption keys and secrets, monitors availability and model quality, keeps
        backups and produces evidence for frameworks such as SOC 2, ISO 27001 and the GDPR. It supports
        bookkeeping, VAT and sales-tax returns and income-tax filings prepared for authorities such as
        HMRC, the IRS and the CRA. It does not itself file returns with any authority, give legal advice or
        act as the Customer's accountant or auditor.
      </p>

      <h2>3. AI outputs are assistance, not professional advice</h2>
      <p>
        Figures, classifications, drafts and explanations produced by AI models on the platform are
        suggestions. They can be incomplete or wrong. Before any return, filing, statement or payment is
        submitted or relied upon, a qualified professional acting for the Customer must review it, and the
        Customer remains responsible for what is filed in its name. Model accuracy figures, drift alerts
        and regression results shown by the Service describe past measurements and do not guarantee the
        correctness of any particular output.
      </p>

      <h2>4. Users' responsibilities</h2>
      <ul>
        <li>Keep credentials, recovery codes and authenticator devices private; do not share accounts.</li>
        <li>Use multi-factor authentication where the Customer requires it, and report lost devices at once.</li>
        <li>Enter only data the Customer is entitled to process, and keep it accurate.</li>
        <li>
          Do not probe, overload or work around the Service's security controls, and do not use it for any
          unlawful purpose, including tax evasion or the concealment of records.
        </li>
        <li>Report suspected security incidents to the Customer's administrators without delay.</li>
      </ul>
      <p>
        The Customer is responsible for who it grants access to, the roles it assigns, and its Users'
        compliance with these terms.
      </p>

      <h2>5. Data protection</h2>
      <p>
        For personal data in the Customer's records, the Customer is the controller and the provider of the
        Service acts as its processor, on the Customer's documented instructions and under a data processing
        agreement that meets Article 28 of the UK and EU GDPR. Data is stored in the region chosen for the
        Customer's tenant, encrypted in transit and at rest, and isolated from other tenants. Access is
        limited to what is needed to run and support the Service, and every access is recorded in the audit
        trail. Security incidents affecting personal data are notified to the Customer without undue delay.
      </p>

      <h2>6. Retention and deletion</h2>
      <p>
        Records are kept for the periods the Customer configures, subject to the minimum periods that tax and
        accounting law requires (for example six years for UK VAT records, and as long as the IRS or CRA may
        examine a return). Audit records are append-only and cannot be altered; where the law requires
        personal data to be erased, it is made unreadable while the proof that the audit trail is complete is
        kept. Backups expire on their own schedule.
      </p>

      <h2>7. Availability and support</h2>
      <p>
        The provider aims for the availability targets stated in the Customer's order and publishes their
        measurement in the Service. Planned maintenance is announced in advance. Availability targets are
        objectives, not guarantees, unless the order says otherwise.
      </p>

      <h2>8. Limitation of liability</h2>
      <p>
        To the extent the law allows, the provider is not liable for indirect or consequential loss, loss of
        profit, or penalties, interest or tax assessed on a filing, including one prepared with AI assistance
        that was not reviewed as section 3 requires. The provider's total liability in any twelve months is
        limited to the fees the Customer paid for the Service in that period. Nothing in these terms limits
        liability for death or personal injury caused by negligence, for fraud, or for anything else that
        cannot lawfully be limited.
      </p>

      <h2>9. Suspension and termination</h2>
      <p>
        The Customer may end its subscription as its order provides. The provider may suspend a User or a
        tenant to stop a security threat or a serious breach of these terms, and will say why. When a
        subscription ends, the Customer may export its records and audit evidence for 30 days; after that,
        its data is deleted except what the law requires to be kept.
      </p>

      <h2>10. Changes and governing law</h2>
      <p>
        The provider will announce changes to these terms at least 30 days before they apply. These terms are
        governed by the law stated in the Customer's order, and otherwise by the law of England and Wales.
      </p>
    </main>
  );
}
