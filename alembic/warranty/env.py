from services.warranty.models import Base
from shared import migrations

migrations.run("warranty", Base.metadata)
