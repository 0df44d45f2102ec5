"""Every model module, imported in one place so the metadata (and so the migrations) sees every table."""

from diversion.alerts import models as alerts  # noqa: F401
from diversion.appointments import models as appointments  # noqa: F401
from diversion.assessments import models as assessments  # noqa: F401
from diversion.audit import models as audit  # noqa: F401
from diversion.auth import models as auth  # noqa: F401
from diversion.care_plans import models as care_plans  # noqa: F401
from diversion.clients import models as clients  # noqa: F401
from diversion.contacts import models as contacts  # noqa: F401
from diversion.courts import models as courts  # noqa: F401
from diversion.documents import models as documents  # noqa: F401
from diversion.drafts import models as drafts  # noqa: F401
from diversion.idempotency import models as idempotency  # noqa: F401
from diversion.modern_slavery import models as modern_slavery  # noqa: F401
from diversion.notices import models as notices  # noqa: F401
from diversion.notifications import models as notifications  # noqa: F401
from diversion.organisations import models as organisations  # noqa: F401
from diversion.outcomes import models as outcomes  # noqa: F401
from diversion.privacy import models as privacy  # noqa: F401
from diversion.referrals import models as referrals  # noqa: F401
from diversion.venues import models as venues  # noqa: F401
from diversion.webhooks import models as webhooks  # noqa: F401
